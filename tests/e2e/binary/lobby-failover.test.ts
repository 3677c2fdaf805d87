import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { cpSync } from "node:fs";
import { join } from "node:path";
import * as Y from "yjs";
import { lonelyBinary, type RunningBinary } from "../../helpers/binary.ts";
import { waitFor } from "../../helpers/browser.ts";
import { chatTab } from "../../helpers/chat-tab.ts";
import { type LobbyBinary, startLobbyBinary } from "../../helpers/lobby-binary.ts";
import {
  createTokenRoom,
  joinWithToken,
  linkedOver,
  listsRoom,
  lobbyState,
  type LobbyBinaryNode as Node,
  received,
  sameText,
  shareScratch,
  startLobbyBinaryNode,
} from "../../helpers/lobby-binary-nodes.ts";
import { lobbyEvent } from "../../helpers/lobby-nodes.ts";
import { type RedisServer, startRedisServer } from "../../helpers/redis-server.ts";
import { tempDir } from "../../helpers/temp-dir.ts";

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
function startNode(name: string, lobbyUrl: string): Promise<Node> {
  return startLobbyBinaryNode({
    bin,
    name,
    lobbyUrl,
    settings: {
      "network.enableDirect": false,
      // The relay is what crosses instances frame by frame; WebRTC would only signal across them.
      "network.enableWebRtc": false,
    },
    keep: { nodes, tabs },
  });
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

/** One value as redis-cli prints it, without its quotes: `(nil)` for none. */
async function value(...command: string[]): Promise<string> {
  return (await redis.cli(...command)).trim().replace(/^"(.*)"$/, "$1");
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

    const room = await createTokenRoom(host, "public", 5000);
    // Made through instance two, listed through instance one.
    await waitFor(() => listsRoom(guest.tab, room.id), "the room listed on the other instance", 10_000);
    joinWithToken(guest, room);
    await guest.tab.next(
      lobbyEvent("join_progress", (d) => d.step === "connected"),
      15_000,
    );
    await waitFor(
      () => linkedOver(host, guest, "relay"),
      "a relayed link both ways, across instances",
      10_000,
    );

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
    const { hostNote, guestNote } = await shareScratch(host, guest, tabs);

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
    await waitFor(() => listsRoom(guest.tab, room.id), "the host's room listed again", 10_000);
    await waitFor(
      () => linkedOver(host, guest, "relay"),
      "the relayed link back, on one instance now",
      30_000,
    );
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
