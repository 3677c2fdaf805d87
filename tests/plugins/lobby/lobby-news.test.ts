import { describe, expect, test } from "bun:test";
import { initialLobbyView, reduceLobby } from "../../../plugins/lobby/lobby-model.ts";
import { lobbyNews } from "../../../plugins/lobby/lobby-news.ts";
import {
  ALICE,
  BOB,
  lobbyState,
  ROOM_A,
  ROOM_MINE,
  request,
  room,
  server,
  TOKEN,
  viewAfter,
} from "./fixtures.ts";

const hosted = { ...room({ id: ROOM_MINE, name: "My room", host: "selfselfselfself" }), token: TOKEN };

describe("lobby news", () => {
  test("a new join request is news; one already listed is not", () => {
    const view = viewAfter(lobbyState({ rooms: [hosted] }));
    const asked = server({ event: "join_request", data: request() });
    expect(lobbyNews(view, asked)).toEqual({ kind: "request", request: request() });
    expect(lobbyNews(reduceLobby(view, asked), asked)).toBeNull();
  });

  test("a join that linked says with whom and how, named from the listing", () => {
    const view = viewAfter(lobbyState());
    const joined = server({
      event: "joined",
      data: { room_id: ROOM_A, node_id: ALICE, node_name: "alice", transport: "relay" },
    });
    expect(lobbyNews(view, joined)).toEqual({
      kind: "joined",
      room_id: ROOM_A,
      room_name: "Friday pairing",
      peer: "alice",
      transport: "relay",
    });
  });

  test("a guest let into a hosted room is told as a guest, by the room's name", () => {
    const view = viewAfter(lobbyState({ rooms: [hosted] }));
    const joined = server({
      event: "joined",
      data: { room_id: ROOM_MINE, node_id: BOB, node_name: "", transport: "direct" },
    });
    expect(lobbyNews(view, joined)).toEqual({
      kind: "guest_joined",
      room_id: ROOM_MINE,
      room_name: "My room",
      peer: BOB,
      transport: "direct",
    });
  });

  test("an error is news only when nothing in the pane waits for it", () => {
    const error = server({ event: "error", data: { message: "lobby said no" } });
    expect(lobbyNews(viewAfter(lobbyState()), error)).toEqual({ kind: "problem", message: "lobby said no" });
    const waiting = reduceLobby(viewAfter(lobbyState()), { event: "sent", data: { what: "create" } });
    expect(lobbyNews(waiting, error)).toBeNull();
    expect(lobbyNews(initialLobbyView(), error)).toBeNull();
  });

  test("a join's refusal is shown on the join, not again as a toast", () => {
    const failed = viewAfter(lobbyState(), {
      event: "join_progress",
      data: { room_id: ROOM_A, step: "failed", error: "wrong room token" },
    });
    expect(
      lobbyNews(failed, server({ event: "error", data: { message: "lobby: wrong room token" } })),
    ).toBeNull();
    expect(
      lobbyNews(failed, server({ event: "error", data: { message: "lobby: too many rooms" } })),
    ).not.toBeNull();
  });

  test("state and list updates are drawn, not announced", () => {
    const view = viewAfter(lobbyState());
    expect(lobbyNews(view, server({ event: "state", data: lobbyState() }))).toBeNull();
    expect(
      lobbyNews(view, server({ event: "join_progress", data: { room_id: ROOM_A, step: "relay" } })),
    ).toBeNull();
  });
});
