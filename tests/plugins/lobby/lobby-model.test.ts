import { describe, expect, test } from "bun:test";
import {
  initialLobbyView,
  type LobbyView,
  reduceLobby,
  waitingRequests,
} from "../../../plugins/lobby/lobby-model.ts";
import {
  ALICE,
  BOB,
  lobbyState,
  ROOM_A,
  ROOM_B,
  ROOM_MINE,
  request,
  room,
  server,
  TOKEN,
  viewAfter,
} from "./fixtures.ts";

const hosted = {
  ...room({ id: ROOM_MINE, name: "My room", host: "selfselfselfself", host_name: "me" }),
  token: TOKEN,
};

function started(view: LobbyView, room_id = ROOM_A, token?: string): LobbyView {
  return reduceLobby(view, { event: "join_started", data: { room_id, token } });
}

describe("lobby view: the node's state", () => {
  test("nothing is shown as known before the node's first state, and everything after it", () => {
    const before = initialLobbyView();
    expect(before.state).toBeNull();
    const view = viewAfter(lobbyState({ status: "retrying", error: "connection refused", retry_at: 5 }));
    expect(view.state?.status).toBe("retrying");
    expect(view.state?.error).toBe("connection refused");
  });

  test("a later state replaces the earlier one whole, and keeps the joins this tab follows", () => {
    let view = started(viewAfter(lobbyState()));
    view = reduceLobby(
      view,
      server({ event: "state", data: lobbyState({ status: "off", public_rooms: [] }) }),
    );
    expect(view.state?.status).toBe("off");
    expect(view.state?.public_rooms).toEqual([]);
    expect(view.joins.map((j) => j.room_id)).toEqual([ROOM_A]);
  });

  test("rooms and directory updates change only their own list", () => {
    const entry = {
      node_id: ALICE,
      node_name: "alice",
      public_key: request().guest.public_key,
      capabilities: [],
      since: 1,
    };
    const view = viewAfter(
      lobbyState(),
      { event: "rooms", data: { rooms: [room({ id: ROOM_B, name: "Other" })] } },
      { event: "directory", data: { directory: [entry] } },
    );
    expect(view.state?.public_rooms.map((r) => r.name)).toEqual(["Other"]);
    expect(view.state?.directory.map((e) => e.node_name)).toEqual(["alice"]);
    expect(view.state?.url).toBe("ws://lobby.example:7400");
  });

  test("updates that arrive before any state are dropped, since the state asked for will include them", () => {
    const view = reduceLobby(initialLobbyView(), server({ event: "rooms", data: { rooms: [room()] } }));
    expect(view.state).toBeNull();
  });

  test("a created room joins the hosted list once, with its token, and the form stops waiting", () => {
    let view = reduceLobby(viewAfter(lobbyState()), { event: "sent", data: { what: "create" } });
    expect(view.awaiting).toBe("create");
    view = reduceLobby(view, server({ event: "room_created", data: { room: hosted } }));
    view = reduceLobby(view, server({ event: "room_created", data: { room: { ...hosted, members: 2 } } }));
    expect(view.state?.rooms).toEqual([{ ...hosted, members: 2 }]);
    expect(view.awaiting).toBeNull();
  });
});

describe("lobby view: join requests", () => {
  test("a request is listed once per guest and room, and counts toward the badge", () => {
    const view = viewAfter(
      lobbyState({ rooms: [hosted] }),
      { event: "join_request", data: request() },
      { event: "join_request", data: request({ ts: 1_700_000_001_000 }) },
      { event: "join_request", data: request({ guest: { ...request().guest, node_id: ALICE } }) },
    );
    expect(view.state?.requests.map((r) => r.guest.node_id)).toEqual([BOB, ALICE]);
    expect(waitingRequests(view)).toBe(2);
  });

  test("answering a request takes it off the list at once", () => {
    let view = viewAfter(lobbyState({ rooms: [hosted] }), { event: "join_request", data: request() });
    view = reduceLobby(view, { event: "request_settled", data: { room_id: ROOM_MINE, node_id: BOB } });
    expect(waitingRequests(view)).toBe(0);
  });

  test("a guest joined to a hosted room settles its request and starts no join of our own", () => {
    const view = viewAfter(lobbyState({ rooms: [hosted], requests: [request()] }), {
      event: "joined",
      data: { room_id: ROOM_MINE, node_id: BOB, node_name: "bob", transport: "relay" },
    });
    expect(waitingRequests(view)).toBe(0);
    expect(view.joins).toEqual([]);
  });
});

describe("lobby view: joining a room", () => {
  test("a join starts at joining, named from the listing, and keeps its token for a retry", () => {
    const view = started(viewAfter(lobbyState({ public_rooms: [room({ policy: "token" })] })), ROOM_A, TOKEN);
    expect(view.joins).toHaveLength(1);
    expect(view.joins[0]).toMatchObject({
      step: "joining",
      room_name: "Friday pairing",
      policy: "token",
      token: TOKEN,
    });
  });

  test("progress moves a join forward and never back, and remembers each step it went through", () => {
    const view = viewAfter(
      lobbyState(),
      { event: "join_progress", data: { room_id: ROOM_A, step: "room_info" } },
      { event: "join_progress", data: { room_id: ROOM_A, step: "dialing_direct" } },
      { event: "join_progress", data: { room_id: ROOM_A, step: "room_info" } },
    );
    expect(view.joins[0]?.reached).toBe("dialing_direct");
    expect(view.joins[0]?.seen).toEqual(["room_info", "dialing_direct"]);
  });

  test("a failure keeps the step it stopped at and says why", () => {
    const view = viewAfter(
      lobbyState(),
      { event: "join_progress", data: { room_id: ROOM_A, step: "relay" } },
      { event: "join_progress", data: { room_id: ROOM_A, step: "failed", error: "the host refused" } },
    );
    expect(view.joins[0]).toMatchObject({ step: "failed", reached: "relay", error: "the host refused" });
  });

  test("a failure without a reason still says it failed", () => {
    const view = viewAfter(lobbyState(), {
      event: "join_progress",
      data: { room_id: ROOM_A, step: "failed" },
    });
    expect(view.joins[0]?.error).toBe("The join failed.");
  });

  test("joining again after a failure starts the steps over", () => {
    const view = viewAfter(
      lobbyState(),
      { event: "join_progress", data: { room_id: ROOM_A, step: "failed", error: "no" } },
      { event: "join_progress", data: { room_id: ROOM_A, step: "joining" } },
    );
    expect(view.joins[0]).toMatchObject({
      step: "joining",
      reached: "joining",
      error: null,
      seen: ["joining"],
    });
  });

  test("joined marks the join connected with the host and the transport", () => {
    const view = viewAfter(lobbyState(), {
      event: "joined",
      data: { room_id: ROOM_A, node_id: ALICE, node_name: "alice", transport: "direct" },
    });
    expect(view.joins[0]).toMatchObject({
      step: "connected",
      reached: "connected",
      transport: "direct",
      peer: { node_id: ALICE, node_name: "alice" },
    });
  });

  test("a dismissed join is no longer shown", () => {
    const view = reduceLobby(started(viewAfter(lobbyState())), {
      event: "join_dismissed",
      data: { room_id: ROOM_A },
    });
    expect(view.joins).toEqual([]);
  });

  test("newest joins come first, and restarting one moves it to the top", () => {
    let view = started(started(viewAfter(lobbyState()), ROOM_A), ROOM_B);
    expect(view.joins.map((j) => j.room_id)).toEqual([ROOM_B, ROOM_A]);
    view = started(view, ROOM_A);
    expect(view.joins.map((j) => j.room_id)).toEqual([ROOM_A, ROOM_B]);
  });
});

describe("lobby view: errors land on what the tab waits for", () => {
  const refused = { event: "error", data: { message: "wrong token" } };

  test("a join still asking the lobby fails with the error", () => {
    const view = reduceLobby(started(viewAfter(lobbyState())), server(refused));
    expect(view.joins[0]).toMatchObject({ step: "failed", error: "wrong token" });
  });

  test("a refused Connect shows under the address, until a state shows the socket on its way", () => {
    let view = reduceLobby(viewAfter(lobbyState({ status: "off" })), {
      event: "sent",
      data: { what: "connect" },
    });
    view = reduceLobby(view, server({ event: "error", data: { message: "not a lobby address" } }));
    expect(view).toMatchObject({ awaiting: null, connectError: "not a lobby address" });
    view = reduceLobby(view, server({ event: "state", data: lobbyState({ status: "connecting" }) }));
    expect(view.connectError).toBeNull();
  });

  test("a refused Create shows under the form", () => {
    let view = reduceLobby(viewAfter(lobbyState()), { event: "sent", data: { what: "create" } });
    view = reduceLobby(view, server({ event: "error", data: { message: "at most 16 rooms" } }));
    expect(view).toMatchObject({ awaiting: null, createError: "at most 16 rooms" });
  });

  test("an error before the first state is why the pane could not load", () => {
    const view = reduceLobby(initialLobbyView(), server(refused));
    expect(view.loadError).toBe("wrong token");
    expect(viewAfter(lobbyState()).loadError).toBeNull();
  });

  test("a refusal the node already reported as the join's failure is not pinned on anything else", () => {
    let view = reduceLobby(started(viewAfter(lobbyState())), { event: "sent", data: { what: "create" } });
    view = reduceLobby(
      view,
      server({ event: "join_progress", data: { room_id: ROOM_A, step: "failed", error: "denied" } }),
    );
    view = reduceLobby(view, server({ event: "error", data: { message: "lobby: denied" } }));
    expect(view).toMatchObject({ awaiting: "create", createError: null });
    expect(view.joins[0]?.error).toBe("denied");
  });

  test("an error nothing waits for changes nothing", () => {
    const view = viewAfter(lobbyState());
    expect(reduceLobby(view, server(refused))).toBe(view);
  });
});
