import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { cpSync } from "node:fs";
import { join } from "node:path";
import * as Y from "yjs";
import type { ChatPage } from "../../../protocol/chat.ts";
import type { RoomListing } from "../../../protocol/collab.ts";
import type { HostedRoom, LobbyState } from "../../../protocol/lobby-channel.ts";
import type { PeerRow, PeersResponse } from "../../../protocol/network.ts";
import { callNode, lonelyBinary, type RunningBinary, startBinary } from "../../helpers/binary.ts";
import { waitFor } from "../../helpers/browser.ts";
import { chatTab } from "../../helpers/chat-tab.ts";
import { type CollabTab, collabTab } from "../../helpers/collab-tab.ts";
import { type LobbyBinary, startLobbyBinary } from "../../helpers/lobby-binary.ts";
import { lobbyEvent } from "../../helpers/lobby-nodes.ts";
import { type RedisServer, startRedisServer } from "../../helpers/redis-server.ts";
import { tempDir } from "../../helpers/temp-dir.ts";
import { openTab, type TestTab } from "../../helpers/ws-client.ts";

/**
 * One lobby of two compiled instances on a real redis-server, and compiled nodes on it, as the
 * people who run it and use it see it. Nodes on different instances pair through a room, chat and
 * share a Scratch over the relay across the instances. Then the host's instance is killed
 * (SIGKILL): the host, whose lobby address lists both instances, moves to the other, registers
 * there and restores its room; the link comes back; what either side wrote meanwhile arrives
 * once; and once the dead instance's lease has lapsed Redis holds nothing of it.
 */

/** Short, so the dead instance's lease lapses within the test; the default is 30 s. */
const TTL_MS = 4_000;

let bin: string;
let redis: RedisServer;
const lobbies: LobbyBinary[] = [];
const nodes: RunningBinary[] = [];
const tabs: Array<{ close(): void }> = [];

beforeAll(async () => {
  ({ bin } = lonelyBinary());
  // No redis-server is a failure with its reason, never a silent skip.
  redis = await startRedisServer();
});
afterEach(async () => {
  for (const tab of tabs.splice(0)) tab.close();
  for (const p of [...nodes.splice(0).map((n) => n.proc), ...lobbies.splice(0).map((l) => l.proc)]) {
    if (p.exitCode === null && p.signalCode === null) {
      p.kill("SIGKILL");
      await p.exited;
    }
  }
});
afterAll(() => redis?.close());

async function instance(dataDir: string): Promise<LobbyBinary> {
  const lobby = await startLobbyBinary(bin, {
    dataDir,
    args: ["--redis-url", redis.url, "--limit", `presenceTtlMs=${TTL_MS}`],
  });
  lobbies.push(lobby);
  return lobby;
}

/** A compiled node alone in its folder with direct links and WebRTC off, given the lobby addresses `lobbyUrl`. */
async function startNode(name: string, lobbyUrl: string) {
  const folder = tempDir(`weft-${name}-`);
  const run = await startBinary(
    bin,
    ["--data-dir", join(folder, "data"), "--port", "0", "--host", "127.0.0.1", "--no-open", "--name", name],
    folder,
  );
  nodes.push(run);
  await callNode(run, "PUT", "/api/settings", {
    "network.lobbyUrl": lobbyUrl,
    "network.enableDirect": false,
    // The relay is what crosses instances frame by frame; WebRTC would only signal across them.
    "network.enableWebRtc": false,
  });
  const { node_id } = await callNode<{ node_id: string }>(run, "GET", "/api/network/identity");
  const tab = await openTab(run.port);
  tabs.push(tab);
  return { run, nodeId: node_id, tab };
}
type Node = Awaited<ReturnType<typeof startNode>>;

async function lobbyState(node: Node): Promise<LobbyState> {
  const tab = await openTab(node.run.port);
  try {
    tab.send({ channel: "lobby", event: "state", data: {} });
    return (await tab.next(lobbyEvent("state"), 3000)).data as LobbyState;
  } finally {
    tab.close();
  }
}

/** Waits until `node` is registered through `lobby`. */
async function registeredAt(node: Node, lobby: LobbyBinary, ms: number): Promise<void> {
  await waitFor(
    async () => {
      const s = await lobbyState(node);
      return s.status === "connected" && s.url === `${lobby.address}/lobby-ws`;
    },
    `the node to be registered at ${lobby.address}`,
    ms,
  );
}

async function peerOf(node: Node, peer: Node): Promise<PeerRow | undefined> {
  const list = await callNode<PeersResponse>(node.run, "GET", "/api/network/peers");
  return list.peers.find((p) => p.node_id === peer.nodeId);
}

async function relayedBothWays(a: Node, b: Node): Promise<boolean> {
  const [ab, ba] = [await peerOf(a, b), await peerOf(b, a)];
  return (
    ab?.status === "connected" &&
    ab.transport === "relay" &&
    ba?.status === "connected" &&
    ba.transport === "relay"
  );
}

/** How often `node` stored `text` as received from `from`. */
async function received(node: Node, from: Node, text: string): Promise<number> {
  const page = await callNode<ChatPage>(node.run, "GET", `/api/chat/${from.nodeId}/messages?limit=200`);
  return page.messages.filter((m) => m.direction === "in" && m.text === text).length;
}

/** Whether `node`'s Lobby pane, asking its lobby now, is shown the public room `roomId`. */
async function listsRoom(node: Node, roomId: string): Promise<boolean> {
  const lists = () => node.tab.frames.filter(lobbyEvent("rooms"));
  const before = lists().length;
  node.tab.send({ channel: "lobby", event: "list_rooms", data: {} });
  await node.tab.next(() => lists().length > before, 3000);
  return (lists().at(-1)!.data as { rooms: Array<{ id: string }> }).rooms.some((r) => r.id === roomId);
}

/** Waits until `tab`'s pane lists the room `address` (a share that arrived). */
async function listed(tab: TestTab, address: string): Promise<void> {
  const lists = () => tab.frames.filter((f) => f.channel === "collab" && f.event === "rooms");
  tab.send({ channel: "collab", event: "rooms", data: { paneId: "scratch" } });
  await waitFor(
    async () =>
      lists().some((f) => (f.data as { rooms: RoomListing[] }).rooms.some((r) => r.paneKey === address)),
    `the room ${address} to be listed`,
    10_000,
  );
}

/** One value as redis-cli prints it, without its quotes: `(nil)` for none. */
async function value(...command: string[]): Promise<string> {
  return (await redis.cli(...command)).trim().replace(/^"(.*)"$/, "$1");
}

async function sameText(a: CollabTab, b: CollabTab, text: string): Promise<boolean> {
  return a.text() === text && b.text() === text;
}

describe("a lobby of two compiled instances on one redis-server, with compiled nodes on it", () => {
  test("nodes on different instances pair, chat and share a Scratch; killing the host's instance moves it to the other with nothing lost and nothing left in Redis", async () => {
    const one = await instance(tempDir("weft-lobby-one-"));
    // The operator gives each instance a copy of one data dir: one identity, one lobby id.
    const twoDir = join(tempDir("weft-lobby-two-"), "data");
    cpSync(one.dataDir, twoDir, { recursive: true });
    const two = await instance(twoDir);
    expect(two.lobbyId).toBe(one.lobbyId);
    const [oneId, twoId] = [(await one.health()).instance, (await two.health()).instance];

    // Each node lists both instances, its own first.
    const host = await startNode("host", `${two.address}, ${one.address}`);
    const guest = await startNode("guest", `${one.address}, ${two.address}`);
    await registeredAt(host, two, 10_000);
    await registeredAt(guest, one, 10_000);

    host.tab.send({
      channel: "lobby",
      event: "create_room",
      data: { name: "team", visibility: "public", policy: "token" },
    });
    const room = ((await host.tab.next(lobbyEvent("room_created"), 5000)).data as { room: HostedRoom }).room;
    // Made through instance two, listed through instance one.
    await waitFor(() => listsRoom(guest, room.id), "the room listed on the other instance", 10_000);
    guest.tab.send({ channel: "lobby", event: "join_room", data: { room_id: room.id, token: room.token } });
    await guest.tab.next(
      lobbyEvent("join_progress", (d) => d.step === "connected"),
      15_000,
    );
    await waitFor(() => relayedBothWays(host, guest), "a relayed link both ways, across instances", 10_000);

    // Chat both ways and a shared Scratch, every frame through two instances and Redis.
    const [guestChat, hostChat] = [await chatTab(guest.run.port), await chatTab(host.run.port)];
    tabs.push(guestChat.tab, hostChat.tab);
    guestChat.send(host.nodeId, "hello from instance one");
    hostChat.send(guest.nodeId, "hello from instance two");
    await waitFor(
      async () =>
        (await received(host, guest, "hello from instance one")) === 1 &&
        (await received(guest, host, "hello from instance two")) === 1,
      "a message each way",
      10_000,
    );
    const hostNote = await collabTab(host.run.port, "scratch:main");
    tabs.push(hostNote);
    hostNote.insert(0, "plan");
    hostNote.share(guest.nodeId);
    const address = `scratch:main@${host.nodeId}`;
    await listed(guest.tab, address);
    const guestNote = await collabTab(guest.run.port, address);
    tabs.push(guestNote);
    await waitFor(async () => guestNote.text() === "plan", "the guest to see the note", 10_000);
    guestNote.insert(4, ": ship it");
    await waitFor(
      () => sameText(hostNote, guestNote, "plan: ship it"),
      "the guest's edit at the host",
      10_000,
    );

    // The host's instance dies with no goodbye.
    two.proc.kill("SIGKILL");
    await two.proc.exited;
    // Written while the host is between instances: on the guest's side its link still looks up.
    guestChat.send(host.nodeId, "sent while the host was moving");
    guestNote.insert(guestNote.text().length, " today");
    hostNote.insert(0, "# ");

    await registeredAt(host, one, 15_000);
    const moved = await lobbyState(host);
    expect(moved.rooms.map((r) => r.id)).toEqual([room.id]);
    // The room is back, held by the instance that is left: the guest's lobby lists it.
    await waitFor(() => listsRoom(guest, room.id), "the host's room listed again", 10_000);
    await waitFor(() => relayedBothWays(host, guest), "the relayed link back, on one instance now", 30_000);
    await waitFor(
      async () => (await received(host, guest, "sent while the host was moving")) === 1,
      "the message sent meanwhile",
      20_000,
    );
    await waitFor(
      () => sameText(hostNote, guestNote, "# plan: ship it today"),
      "both edits made meanwhile, at both ends",
      20_000,
    );
    hostChat.send(guest.nodeId, "after the move");
    await waitFor(
      async () => (await received(guest, host, "after the move")) === 1,
      "a message after",
      10_000,
    );

    // Once the dead instance's lease lapses, Redis holds nothing of it.
    await Bun.sleep(TTL_MS + 500);
    const keys = (await redis.cli("KEYS", "weft:lobby:*")).split("\n").filter((k) => k.trim() !== "");
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.filter((k) => k.includes(twoId))).toEqual([]);
    expect(await value("ZSCORE", "weft:lobby:instances", twoId)).toBe("(nil)");
    expect(await value("ZSCORE", "weft:lobby:instances", oneId)).not.toBe("(nil)");
    for (const id of [host.nodeId, guest.nodeId]) {
      expect((await value("GET", `weft:lobby:node:${id}`)).startsWith(`${oneId}/`)).toBe(true);
    }
    expect(await value("HGET", `weft:lobby:room:${room.id}`, "instance")).toBe(oneId);
    const health = await one.health();
    expect(health).toMatchObject({ status: "ok", nodes: 2, rooms: 1 });

    // Nothing was delivered twice.
    await Bun.sleep(500);
    expect(await received(host, guest, "sent while the host was moving")).toBe(1);
    expect(await received(host, guest, "hello from instance one")).toBe(1);
    expect(hostNote.text()).toBe("# plan: ship it today");
    expect(Y.encodeStateVector(hostNote.doc)).toEqual(Y.encodeStateVector(guestNote.doc));
  }, 120_000);
});
