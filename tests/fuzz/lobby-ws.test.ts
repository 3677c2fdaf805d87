import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { lobbyHealth, writeRelayBinary } from "../../protocol/lobby.ts";
import {
  deepJson,
  type FuzzRun,
  fuzzRun,
  fuzzTimeoutMs,
  mutateBytes,
  mutateJson,
  mutateText,
  randomJson,
  randomString,
} from "../helpers/fuzz.ts";
import { LobbyPeer } from "../helpers/lobby-peer.ts";
import { eventually } from "../helpers/peer-nodes.ts";
import { processFaults } from "../helpers/raw-peer.ts";
import { tempDir } from "../helpers/temp-dir.ts";

const faults = processFaults();
const repo = join(import.meta.dir, "..", "..");

/**
 * The lobby under fuzzing runs in a process of its own, as `weft --lobby` would, so its memory is
 * measured alone and a crash is an exit, not a test's exception. It logs at debug: a handler that
 * threw is logged there, which fuzzing must never cause.
 */
interface LobbyProcess {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  wsUrl: string;
  url: string;
  /** Lines the lobby logged about a failure it caught. */
  failures: string[];
  rss(): number;
}

let lobby: LobbyProcess;
let honest: LobbyPeer[] = [];

async function startLobbyProcess(): Promise<LobbyProcess> {
  // Message rates high enough that a fuzzing socket is refused frame by frame instead of closed at
  // once, so the frames reach every handler; sizes, depth and the relay budgets stay as they ship
  // (they are what keeps a flood from one node off another's socket).
  const limits = [
    "badFramesToClose=1000000",
    "controlPerSec=1000000",
    "controlBurst=1000000",
    "signalPerSec=1000000",
    "signalBurst=1000000",
  ].flatMap((l) => ["--limit", l]);
  const proc = Bun.spawn(
    [
      process.execPath,
      join(repo, "server/main.ts"),
      "--lobby",
      "--port",
      "0",
      "--host",
      "127.0.0.1",
      "--data-dir",
      join(tempDir(), "lobby"),
      "--log-level",
      "debug",
      ...limits,
    ],
    { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { ...process.env } },
  );
  const failures: string[] = [];
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stderr) {
      for (const line of decoder.decode(chunk).split("\n")) {
        if (/ (error|warn) | failed/.test(line)) failures.push(line);
      }
    }
  })();
  const reader = proc.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the lobby exited before listening");
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const port = /:(\d+)\/lobby-ws/.exec(text)?.[1];
  if (!port) throw new Error(`unexpected first line: ${text}`);
  return {
    proc,
    wsUrl: `ws://127.0.0.1:${port}/lobby-ws`,
    url: `http://127.0.0.1:${port}`,
    failures,
    rss: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${proc.pid}/status`, "utf8"))?.[1]) * 1024,
  };
}

beforeAll(async () => {
  lobby = await startLobbyProcess();
  honest = await Promise.all(
    ["honest-a", "honest-b"].map(async (name) => (await LobbyPeer.registered(lobby.wsUrl, { name })).peer),
  );
});
afterAll(async () => {
  for (const p of honest) p.close();
  lobby.proc.kill("SIGTERM");
  await lobby.proc.exited;
});

const health = async () => lobbyHealth.parse(await (await fetch(`${lobby.url}/health`)).json());

const LINKS = ["00000000", "deadbeef", "0a1b2c3d"];
const randomNodeId = () =>
  Array.from(randomBytes(16), (b) => "abcdefghijklmnopqrstuvwxyz234567"[b % 32]).join("");

/** A node id the fuzzer may address: an honest node, itself, a stranger, or not an id at all. */
function someNode(run: FuzzRun, self: string): string {
  return run.pick([honest[0]!.id, honest[1]!.id, self, randomNodeId(), randomString(run, 20)]);
}

/** Every client message type (protocol/lobby.ts) with fields a node could send. */
function validMessage(run: FuzzRun, peer: LobbyPeer, rooms: string[]): Record<string, unknown> {
  const room = () =>
    rooms.length > 0 && run.chance(0.7) ? run.pick(rooms) : randomBytes(16).toString("hex");
  const makers: Array<() => Record<string, unknown>> = [
    () => peer.registerFrame({ name: randomString(run, 20).slice(0, 64) }),
    () => ({ type: "update", node_name: randomString(run, 20).slice(0, 64), listed: run.chance(0.5) }),
    () => ({ type: "update", addresses: [`ws://${randomString(run, 10)}:1/peer-ws`] }),
    () => ({ type: "list_rooms" }),
    () => ({
      type: "create_room",
      name: randomString(run, 20).slice(0, 64) || "room",
      visibility: run.pick(["public", "unlisted"]),
      policy: run.pick(["open", "token"]),
      ...(run.chance(0.3)
        ? { restore: { room_id: room(), token_hash: randomBytes(32).toString("hex") } }
        : {}),
    }),
    () => ({ type: "join_room", room_id: room(), ...(run.chance(0.5) ? { token: "A".repeat(22) } : {}) }),
    () => ({ type: "leave_room", room_id: room() }),
    () => ({ type: "signal", to: someNode(run, peer.id), data: randomJson(run, 3) }),
    () => ({ type: "relay_open", to: someNode(run, peer.id), link: run.pick(LINKS) }),
    () => ({
      type: "relay",
      to: someNode(run, peer.id),
      link: run.pick(LINKS),
      frame: randomString(run, 200),
    }),
    () => ({
      type: "relay_end",
      to: someNode(run, peer.id),
      link: run.pick(LINKS),
      reason: randomString(run, 30),
    }),
    () => ({ type: "ping" }),
    () => ({ type: "pong" }),
  ];
  return run.pick(makers)();
}

/** One fuzzed frame: valid, bent, broken text, deep, oversized, or binary (relayed or not). */
function fuzzFrame(run: FuzzRun, peer: LobbyPeer, rooms: string[]): string | Uint8Array<ArrayBuffer> {
  const msg = validMessage(run, peer, rooms);
  switch (run.int(10)) {
    case 0:
    case 1:
      return JSON.stringify(msg);
    case 2:
    case 3:
      return JSON.stringify(mutateJson(run, msg));
    case 4:
      return mutateText(run, JSON.stringify(msg));
    case 5:
      return run.pick([
        () => JSON.stringify(randomJson(run, 4)),
        () => deepJson(run, 30 + run.int(2_000)),
        () => JSON.stringify({ ...msg, from: honest[0]!.id }),
        () => `${randomString(run, 100)}}`,
        () =>
          JSON.stringify({
            type: "signal",
            to: honest[0]!.id,
            data: "x".repeat(1024 * 1024 + run.int(4096)),
          }),
      ])();
    case 6:
    case 7: {
      const to = run.chance(0.8) ? run.pick([honest[0]!.id, honest[1]!.id, peer.id]) : randomNodeId();
      const frame = writeRelayBinary(to, run.pick(LINKS), mutateBytes(run)) as Uint8Array<ArrayBuffer>;
      return run.chance(0.5) ? frame : mutateBytes(run, frame);
    }
    default:
      return mutateBytes(run);
  }
}

interface FuzzStats {
  closes: number;
  /** Frames from the lobby its own schema refuses: a lobby bug, whoever got them. */
  malformed: string[];
}

/** A fuzzing node: registered (or, for `unregistered`, never), reconnecting whenever the lobby closes it. */
async function fuzzWorker(run: FuzzRun, registered: boolean, stats: FuzzStats) {
  const rooms: string[] = [];
  let peer = await LobbyPeer.connect(lobby.wsUrl);
  if (registered) await peer.register();
  let sent = 0;
  const take = () => {
    for (const msg of peer.drain()) {
      if (msg.type === "error") run.counts.rejected += 1;
      else if (msg.type === "room_created") rooms.push(msg.room.id);
      else if (msg.type === "rooms") rooms.push(...msg.rooms.map((r) => r.id));
    }
    if (rooms.length > 50) rooms.splice(0, rooms.length - 50);
    stats.malformed.push(...peer.malformed.splice(0));
    peer.texts.length = 0;
    peer.binaries.length = 0;
  };
  while (run.next()) {
    if (peer.closeInfo || peer.socket.readyState !== WebSocket.OPEN) {
      take();
      stats.closes += 1;
      peer = await LobbyPeer.connect(lobby.wsUrl);
      if (registered) await peer.register();
    }
    take();
    peer.sendRaw(fuzzFrame(run, peer, rooms));
    sent += 1;
    // A socket's send buffer is the fuzzer's, not the lobby's; let it drain now and then.
    if (sent % 16 === 0 || peer.socket.bufferedAmount > 4 * 1024 * 1024) await Bun.sleep(1);
  }
  take();
  peer.close();
}

describe("fuzzing /lobby-ws", () => {
  test(
    "no frame from a registered or unregistered socket crashes the lobby, grows it or unseats an honest node",
    async () => {
      const fuzz = fuzzRun("lobby-ws", 10_000);
      const rssBefore = lobby.rss();
      const stats: FuzzStats = { closes: 0, malformed: [] };
      await Promise.all(
        [true, true, true, false].map((registered, i) => fuzzWorker(fuzz.fork(i), registered, stats)),
      );

      // The lobby still answers, and the honest nodes are still registered and can still signal.
      expect((await health()).status).toBe("ok");
      const [a, b] = [honest[0]!, honest[1]!];
      expect(a.closeInfo).toBeUndefined();
      expect(b.closeInfo).toBeUndefined();
      const marker = `after fuzzing ${fuzz.seed}`;
      a.send({ type: "signal", to: b.id, data: marker });
      await eventually(
        () => b.texts.some((t) => t.includes(marker) && t.includes(`"from":"${a.id}"`)),
        "the honest nodes to signal each other",
        5_000,
      );
      for (let i = 0; i < 100 && (await health()).nodes !== 2; i++) await Bun.sleep(50);
      expect((await health()).nodes).toBe(2);
      const grown = lobby.rss() - rssBefore;
      fuzz.report({
        closes: stats.closes,
        grown_mib: Math.round(grown / 1024 / 1024),
        faults: faults.length,
      });
      // Every frame the lobby sent, to fuzzers and honest nodes alike, is one its schema allows.
      expect([...stats.malformed, ...a.malformed, ...b.malformed].slice(0, 3)).toEqual([]);
      expect(lobby.failures.slice(0, 5)).toEqual([]);
      expect(lobby.proc.exitCode).toBeNull();
      expect(faults).toEqual([]);
      expect(fuzz.failures).toEqual([]);
      expect(grown).toBeLessThan(200 * 1024 * 1024);
    },
    fuzzTimeoutMs(),
  );
});
