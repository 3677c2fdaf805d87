import { expect, test } from "bun:test";
import type { LobbyServerOf } from "../../../protocol/lobby.ts";
import { LobbyUrlError, normaliseLobbyUrl } from "../../../server/lobby/lobby-client.ts";
import { lobbyFeature } from "../../../server/lobby/lobby-feature.ts";
import { iceServersOf, stunServer } from "../../../server/lobby/webrtc-settings.ts";
import type { RunningNode } from "../../../server/node.ts";
import { lobbyPool, startTestLobby, testIdentity, untilState } from "../../helpers/lobby.ts";
import { lobbyNodes } from "../../helpers/lobby-nodes.ts";
import { eventually } from "../../helpers/peer-nodes.ts";
import { settingsStore } from "../../helpers/settings-store.ts";

const pool = lobbyPool();
const onLobbies = lobbyNodes();

/** A port nothing listens on: bound once, then released. */
function freePort(): number {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
  const port = server.port!;
  server.stop(true);
  return port;
}

/** A stand-in lobby on a real socket that says what `script` says, for behaviour a real one never shows. */
function scriptedLobby(script: (send: (msg: unknown) => void, received: string[]) => void) {
  const received: string[] = [];
  let sockets = 0;
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req, srv) {
      return srv.upgrade(req) ? undefined : new Response("", { status: 400 });
    },
    websocket: {
      open(ws) {
        sockets++;
        script((msg) => ws.send(typeof msg === "string" ? msg : JSON.stringify(msg)), received);
      },
      message(_ws, raw) {
        received.push(String(raw));
      },
    },
  });
  return {
    url: `ws://127.0.0.1:${server.port}/lobby-ws`,
    received,
    get sockets() {
      return sockets;
    },
    stop: () => server.stop(true),
  };
}

const challenge = {
  type: "challenge",
  nonce: Buffer.alloc(32, 1).toString("base64"),
  lobby_id: "aaaaaaaaaaaaaaaa",
  instance: "scripted",
};
const registered = { type: "registered", session: "s1", directory: [], rooms: [] };

test("registers with the lobby and reports connected with the lobby's own id", async () => {
  const lobby = await pool.lobby();
  const firstId = await testIdentity();
  const first = pool.client(firstId, lobby.wsUrl);
  const state = await untilState(first, (s) => s.status === "connected", "the first registration");
  expect(state).toMatchObject({ status: "connected", url: lobby.wsUrl, lobbyId: lobby.lobbyId, error: null });
  expect(first.registered).toBe(true);
  const second = pool.client(await testIdentity(), lobby.wsUrl);
  const seen: Array<LobbyServerOf<"registered">> = [];
  second.on({ registered: (m) => seen.push(m) });
  await untilState(second, (s) => s.status === "connected", "the second registration");
  expect(seen).toHaveLength(1);
  // The lobby took the first node's signed registration: the second finds it listed by name.
  expect(seen[0]!.directory.map((e) => [e.node_id, e.node_name])).toEqual([
    [firstId.nodeId, `node ${firstId.nodeId.slice(0, 4)}`],
  ]);
  expect(lobby.health().nodes).toBe(2);
});

test("a registered node's WebRTC asks the STUN server of its own lobby, unless a STUN server is set", async () => {
  const lobby = await pool.lobby();
  const client = pool.client(await testIdentity(), lobby.wsUrl.replace("127.0.0.1", "localhost"));
  expect(client.stunServer).toBeUndefined();
  await untilState(client, (s) => s.status === "connected", "the registration");
  // The host the node dialed, at the port the lobby named: no third party, nothing to configure.
  expect(client.stunServer).toEqual({ hostname: "localhost", port: lobby.stunPort! });
  const settings = settingsStore();
  expect(iceServersOf(settings, client.stunServer)).toEqual([
    { hostname: "localhost", port: lobby.stunPort! },
  ]);
  settings.update({ [stunServer.key]: "stun:stun.example.org:3478" });
  expect(iceServersOf(settings, client.stunServer)).toEqual(["stun:stun.example.org:3478"]);
  client.stop();
  expect(client.stunServer).toBeUndefined();
});

test("comes back by itself after the lobby restarts, and registers again", async () => {
  const lobby = await startTestLobby();
  const port = lobby.port;
  const client = pool.client(await testIdentity(), lobby.wsUrl, { backoff: { baseMs: 30, maxMs: 200 } });
  const registrations: string[] = [];
  const downs: string[] = [];
  client.on({ registered: (m) => registrations.push(m.session), down: (r) => downs.push(r) });
  await untilState(client, (s) => s.status === "connected", "the first registration");
  await lobby.stop();
  const retrying = await untilState(client, (s) => s.status === "retrying", "retrying after the stop");
  expect(retrying.error).toBe("the lobby is shutting down");
  expect(retrying.retryAt).toBeGreaterThan(Date.now() - 1000);
  expect(downs).toHaveLength(1);
  expect(client.registered).toBe(false);
  expect(client.send({ type: "list_rooms" })).toBe(false);
  // A few attempts fail against the closed port; then the lobby is back on the same port.
  await untilState(client, (s) => s.error?.startsWith("cannot reach") === true, "a refused attempt");
  const again = await pool.lobby({ port, identity: lobby.identity });
  await untilState(client, (s) => s.status === "connected", "the registration after the restart");
  expect(client.state.lobbyId).toBe(again.lobbyId);
  expect(registrations).toHaveLength(2);
  expect(registrations[0]).not.toBe(registrations[1]);
  expect(client.send({ type: "list_rooms" })).toBe(true);
});

test("refuses an address that is not a lobby's, saying what to type instead", () => {
  expect(() => normaliseLobbyUrl("lobby.example.org:7400")).toThrow(LobbyUrlError);
  expect(() => normaliseLobbyUrl("lobby.example.org:7400")).toThrow(/start it with ws:\/\/, wss:\/\//);
  expect(() => normaliseLobbyUrl("ftp://lobby.example.org")).toThrow(/ftp:\/\/ is not a lobby scheme/);
  expect(() => normaliseLobbyUrl("   ")).toThrow(/no lobby address given/);
  expect(() => normaliseLobbyUrl("wss://me:secret@lobby.example.org")).toThrow(/user name or password/);
  expect(() => normaliseLobbyUrl(`wss://${"a".repeat(300)}.org`)).toThrow(/longer than 300/);
  expect(normaliseLobbyUrl("https://lobby.example.org")).toBe("wss://lobby.example.org/lobby-ws");
  expect(normaliseLobbyUrl("http://127.0.0.1:7400/")).toBe("ws://127.0.0.1:7400/lobby-ws");
  expect(normaliseLobbyUrl(" ws://127.0.0.1:7400/lobby-ws ")).toBe("ws://127.0.0.1:7400/lobby-ws");
  expect(normaliseLobbyUrl("wss://example.org/weft/")).toBe("wss://example.org/weft/lobby-ws");
});

test("connect with a bad address throws and leaves the client as it was", async () => {
  const client = pool.client(await testIdentity(), `ws://127.0.0.1:${freePort()}`);
  const before = client.state.url;
  expect(() => client.connect("not a lobby")).toThrow(LobbyUrlError);
  expect(client.state.url).toBe(before);
});

test("a lobby that is not there leaves the client retrying with a reason a person understands", async () => {
  const port = freePort();
  const client = pool.client(await testIdentity(), `http://127.0.0.1:${port}`);
  const state = await untilState(client, (s) => s.status === "retrying", "retrying");
  expect(state.url).toBe(`ws://127.0.0.1:${port}/lobby-ws`);
  expect(state.error).toBe(`cannot reach ws://127.0.0.1:${port}/lobby-ws: connection refused`);
  expect(state.retryAt).toBeGreaterThanOrEqual(Date.now() - 50);
});

test("disconnect stops retrying and keeps the node away from the lobby", async () => {
  const port = freePort();
  const client = pool.client(await testIdentity(), `ws://127.0.0.1:${port}`, {
    backoff: { baseMs: 20, maxMs: 40 },
  });
  await untilState(client, (s) => s.status === "retrying", "retrying");
  client.disconnect();
  expect(client.state).toMatchObject({ status: "off", error: null, retryAt: null });
  const lobby = await pool.lobby({ port });
  await Bun.sleep(300);
  expect(client.state.status).toBe("off");
  expect(lobby.health().nodes).toBe(0);
  // And from a registered socket: the lobby sees the node leave.
  client.connect(lobby.wsUrl);
  await untilState(client, (s) => s.status === "connected", "registration");
  client.disconnect();
  const deadline = Date.now() + 3000;
  while (lobby.health().nodes !== 0) {
    if (Date.now() > deadline) throw new Error("the lobby still holds the node");
    await Bun.sleep(10);
  }
  client.stop();
  expect(client.state.status).toBe("off");
});

test("a second connection of the same node replaces the first, which says so and does not fight back", async () => {
  const lobby = await pool.lobby();
  const identity = await testIdentity();
  const first = pool.client(identity, lobby.wsUrl, { backoff: { baseMs: 60_000, maxMs: 60_000 } });
  await untilState(first, (s) => s.status === "connected", "the first registration");
  const downs: string[] = [];
  first.on({ down: (r) => downs.push(r) });
  const second = pool.client(identity, lobby.wsUrl);
  await untilState(second, (s) => s.status === "connected", "the second registration");
  const state = await untilState(first, (s) => s.status === "retrying", "the first to be replaced");
  expect(state.error).toBe("lobby closed: replaced by a newer connection of this node");
  expect(downs).toEqual(["lobby closed: replaced by a newer connection of this node"]);
  expect(state.retryAt).toBeGreaterThan(Date.now() + 30_000);
  await Bun.sleep(200);
  expect(second.state.status).toBe("connected");
  expect(lobby.health().nodes).toBe(1);
});

test("a lobby that goes silent is given up and dialed again; a garbled frame changes nothing", async () => {
  const lobby = scriptedLobby((send) => {
    send(challenge);
    send("{not json");
    send({ type: "registered", session: 7 });
    send(registered);
    send({ type: "ping" });
  });
  try {
    const client = pool.client(await testIdentity(), lobby.url, {
      heartbeat: { pingMs: 40, deadMs: 250 },
      backoff: { baseMs: 20, maxMs: 40 },
    });
    await untilState(client, (s) => s.status === "connected", "registration");
    expect(client.state.lobbyId).toBe(challenge.lobby_id);
    const state = await untilState(client, (s) => s.status !== "connected", "the silence to be noticed");
    expect(state.status).toBe("retrying");
    expect(state.error).toBe("lobby closed: nothing heard from it in 250 ms");
    await untilState(client, () => lobby.sockets >= 2, "a new socket");
    const sent = lobby.received.map((r) => JSON.parse(r) as { type: string });
    expect(sent[0]?.type).toBe("register");
    expect(sent.map((m) => m.type)).toContain("pong");
    expect(sent.map((m) => m.type)).toContain("ping");
  } finally {
    lobby.stop();
  }
});

test("a full lobby's refusal reaches the person in the lobby's words", async () => {
  const lobby = await pool.lobby({ limits: { maxNodes: 1 } });
  await pool.registeredClient(lobby.wsUrl);
  const second = pool.client(await testIdentity(), lobby.wsUrl);
  const state = await untilState(second, (s) => s.status === "retrying", "the refusal");
  expect(state.error).toBe("lobby refused the registration: this lobby holds as many nodes as it can");
  expect(lobby.health().nodes).toBe(1);
});

test("a refused registration says why, in the lobby's words", async () => {
  const lobby = scriptedLobby((send) => {
    send(challenge);
    send({ type: "error", code: "auth", message: "the signature does not match the key" });
  });
  try {
    const client = pool.client(await testIdentity(), lobby.url);
    // The stand-in keeps the socket open; the client still gives up on it after its timeout,
    // so the refusal is checked where it is recorded: on the next close.
    await untilState(client, () => lobby.received.length >= 1, "the register frame");
    lobby.stop();
    const state = await untilState(client, (s) => s.status === "retrying", "retrying");
    expect(state.error).toBe("lobby refused the registration: the signature does not match the key");
  } finally {
    lobby.stop();
  }
});

test("the Lobby pane's directory follows the others as they come and go, and never lists the node itself", async () => {
  const lobby = await onLobbies.lobbies.lobby();
  const [a, b, c] = await Promise.all([1, 2, 3].map(() => onLobbies.onLobby(lobby.wsUrl)));
  const listed = (n: RunningNode) =>
    n.features
      .get(lobbyFeature)
      .state()
      .directory.map((d) => d.node_id)
      .sort();
  const others = (n: RunningNode) =>
    [a!, b!, c!]
      .map((x) => x.node.identity.nodeId)
      .filter((id) => id !== n.identity.nodeId)
      .sort();
  for (const { node } of [a!, b!, c!]) {
    await eventually(
      () => listed(node).join() === others(node).join(),
      `${node.identity.nodeId}'s directory`,
    );
  }
  c!.tab.send({ channel: "lobby", event: "disconnect", data: {} });
  const gone = c!.node.identity.nodeId;
  await eventually(
    () => !listed(a!.node).includes(gone) && !listed(b!.node).includes(gone),
    "c gone from both",
  );
  expect(listed(a!.node)).toEqual([b!.node.identity.nodeId]);
  expect(listed(b!.node)).toEqual([a!.node.identity.nodeId]);
});
