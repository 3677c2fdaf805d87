/**
 * The relay half of bench/lobby.ts: sealed 1 KiB frames from a node in this process to a compiled
 * binary, first over a direct link and then through the lobby's relay, between the same two nodes
 * in the same run, rounds taken in turn.
 *
 * Counted as bench/fabric-two-process.ts counts: at the receiver, after it handled each frame
 * (`msgs_in` of the binary's `/ws` network `list_metrics`), under a window of frames undelivered.
 * The frame is `collab_awareness` for a room the binary never opened, so each one runs the whole
 * inbound pipeline and is then dropped without storage.
 *
 * Switching paths between rounds is what a person could do: direct off on both nodes
 * (`network.enableDirect`), the link disconnected, the peer dialed at `relay:<id>`; back again by
 * turning direct on and dialing its address, which replaces the relayed link (a better path wins).
 *
 * The same rounds measure WebRTC against direct (bench/webrtc.ts): `withLobbyPair` and
 * `lobbyPathVsDirect` take the lobby path to measure. The other lobby path is off on both nodes
 * for the whole run, since the path upgrader would otherwise move a relayed link to WebRTC
 * mid-round, and a dropped WebRTC link could come back over the relay.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PeerPath } from "../protocol/peer.ts";
import { RELAY, relayAddress } from "../server/fabric/links/relay-transport.ts";
import { WEBRTC, webrtcAddress } from "../server/fabric/links/webrtc-link.ts";
import { lobbyFeature } from "../server/lobby/lobby-feature.ts";
import { silentLogger } from "../server/log.ts";
import { type RunningNode, startNode } from "../server/node.ts";
import { alternatingRounds, round, within } from "./bench-stats.ts";
import { type BinaryNode, type BinaryPlacement, processCpuMs, startBinary } from "./binary-node.ts";

const PAYLOAD_BYTES = 1024;
/** How often the sender asks the receiver how far it got while the window is full. */
const POLL_MS = 5;

/** A path between two nodes of one lobby that does not need a direct link. */
export type LobbyPath = typeof RELAY | typeof WEBRTC;
type Path = "direct" | LobbyPath;

/** Each lobby path's address for a node, and the setting that keeps the other lobby path away. */
const LOBBY_PATHS: Record<LobbyPath, { to(nodeId: string): PeerPath; othersOff: Record<string, boolean> }> = {
  relay: {
    to: (id) => ({ transport: RELAY, address: relayAddress(id) }),
    othersOff: { "network.enableWebRtc": false },
  },
  webrtc: {
    to: (id) => ({ transport: WEBRTC, address: webrtcAddress(id) }),
    othersOff: { "network.enableRelay": false },
  },
};

/** The path to `nodeId` over `via`, for `hub.dial`. */
export const lobbyPathTo = (via: LobbyPath, nodeId: string): PeerPath => LOBBY_PATHS[via].to(nodeId);

/** What setting up the pair needs to know of the run. */
export interface PairOptions {
  binary: string;
  /** The lobby's `ws://…/lobby-ws`. */
  lobbyUrl: string;
  /** The lobby path the run is about; the other one is turned off on both nodes. */
  via: LobbyPath;
  /** Registers a step that stops what this started, for a run cut short (Ctrl-C). */
  defer(step: () => Promise<void>): void;
  /** Where the receiver runs, if not on this machine's loopback (bench/webrtc-netns.ts). */
  receiverAt?: BinaryPlacement;
}

/** What the rounds of one lobby path against direct need to know of the run. */
export interface RoundOptions {
  /** The lobby's process, for its CPU per frame. */
  lobbyPid: number;
  /** Seconds of measuring per path, over all rounds. */
  seconds: number;
  rounds: number;
  warmupS: number;
  /** Frames sent but not yet counted at the receiver, at most. */
  window: number;
  progress(line: string): void;
}

/** What the relay measurement needs to know of the run. */
export interface RelayOptions extends Omit<PairOptions, "via">, RoundOptions {}

/** The relay's figures, each path's rate the median of its rounds. */
export interface RelayFigures {
  relay_frames_per_s: number;
  direct_frames_per_s: number;
  relay_ratio: number;
  /** Lobby CPU (user + system) over the relayed rounds, per frame relayed. */
  lobby_cpu_us_per_relayed_frame: number;
  /** Lobby CPU per frame during the direct rounds: what the idle lobby costs per frame of that time. */
  lobby_cpu_us_per_direct_frame: number;
  sender_cpu_us_per_frame: { direct: number; relay: number };
  /** Bytes per sealed frame on the last link, as the sender's session counted them. */
  sealed_frame_bytes: number;
  receiver_cpu_us_per_frame: { direct: number; relay: number };
  window: number;
  rounds: number;
}

function selfCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** Waits for `check` to hold, polling; a clear failure after `ms`. */
async function until(what: string, check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await Bun.sleep(20);
  }
}

/** The binary's lobby channel state, asked over a `/ws` of its own. */
async function lobbyStatusOf(node: BinaryNode): Promise<string> {
  const ws = new WebSocket(`ws://127.0.0.1:${node.port}/ws`, {
    headers: { origin: `http://localhost:${node.port}` },
  } as never);
  try {
    return await within(
      5_000,
      "the binary's lobby state",
      new Promise<string>((resolve, reject) => {
        ws.addEventListener("open", () =>
          ws.send(JSON.stringify({ channel: "lobby", event: "state", data: {} })),
        );
        ws.addEventListener("message", (e) => {
          const msg = JSON.parse(String(e.data)) as {
            channel: string;
            event: string;
            data: { status?: string };
          };
          if (msg.channel === "lobby" && msg.event === "state") resolve(msg.data.status ?? "");
        });
        ws.addEventListener("error", () => reject(new Error("/ws failed")));
      }),
    );
  } finally {
    ws.close();
  }
}

/** One lobby path's rates against direct, and what each side spent per frame on each. */
export interface LobbyPathFigures {
  /** Frames per second, each the median of its rounds. */
  rates: Record<"via" | "direct", number>;
  cpuUsPerFrame: Record<"sender" | "receiver" | "lobby", Record<"via" | "direct", number>>;
  /** Bytes per sealed frame on the last link, as the sender's session counted them. */
  sealedFrameBytes: number;
}

/** Both nodes on the lobby and paired directly; the relay's rounds against direct's. */
export async function relayVsDirect(opts: RelayOptions): Promise<RelayFigures> {
  const f = await withLobbyPair({ ...opts, via: RELAY }, (pair) => lobbyPathVsDirect(opts, pair, RELAY));
  return {
    relay_frames_per_s: Math.round(f.rates.via),
    direct_frames_per_s: Math.round(f.rates.direct),
    relay_ratio: round(f.rates.via / f.rates.direct, 3),
    lobby_cpu_us_per_relayed_frame: f.cpuUsPerFrame.lobby.via,
    lobby_cpu_us_per_direct_frame: f.cpuUsPerFrame.lobby.direct,
    sender_cpu_us_per_frame: { direct: f.cpuUsPerFrame.sender.direct, relay: f.cpuUsPerFrame.sender.via },
    receiver_cpu_us_per_frame: {
      direct: f.cpuUsPerFrame.receiver.direct,
      relay: f.cpuUsPerFrame.receiver.via,
    },
    sealed_frame_bytes: f.sealedFrameBytes,
    window: opts.window,
    rounds: opts.rounds,
  };
}

/** The two nodes of a run: this process's node sends, the compiled one receives. */
export interface LobbyPair {
  sender: RunningNode;
  receiver: BinaryNode;
}

/**
 * Starts the receiver (the compiled binary) and the sender (a node in this process), both on the
 * lobby with the other lobby path than `via` off, pairs them directly, runs `body`, and stops both.
 */
export async function withLobbyPair<T>(opts: PairOptions, body: (pair: LobbyPair) => Promise<T>): Promise<T> {
  const receiver = await startBinary(opts.binary, "bench-relay-sink", opts.receiverAt);
  const folder = mkdtempSync(join(tmpdir(), "weft-bench-"));
  let sender: RunningNode | undefined;
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      await sender?.stop();
      await receiver.stop();
      rmSync(folder, { recursive: true, force: true });
    })();
    return stopped;
  };
  opts.defer(stop);
  try {
    await receiver.api("PUT", "/api/settings", {
      "network.rateLimitPerSec": 1_000_000,
      "network.rateLimitBurst": 10_000_000,
      "network.lobbyUrl": opts.lobbyUrl,
      ...LOBBY_PATHS[opts.via].othersOff,
      // Placed elsewhere, its invite must name the address peers dial there, not its own view.
      ...(opts.receiverAt ? { "network.advertisedAddress": opts.receiverAt.peerAddress } : {}),
    });
    sender = await startNode(
      {
        port: 0,
        portExplicit: true,
        host: "127.0.0.1",
        dataDir: join(folder, "data"),
        name: "bench-relay-source",
        logLevel: "error",
      },
      silentLogger,
    );
    const node = sender;
    node.settings.update({ "network.lobbyUrl": opts.lobbyUrl, ...LOBBY_PATHS[opts.via].othersOff });
    const { invite } = await receiver.api<{ invite: string }>("POST", "/api/network/invite", {});
    const paired = await node.fabric.hub.pair(invite);
    if (!paired.ok) throw new Error(`pairing failed: ${paired.error}`);
    await until("both nodes registered on the lobby", async () => {
      const mine = node.features.get(lobbyFeature).client.registered;
      return mine && (await lobbyStatusOf(receiver)) === "connected";
    });
    try {
      return await body({ sender: node, receiver });
    } catch (err) {
      // Whether the receiver kept its lobby socket tells a lobby-side cut from a sender-side one.
      const status = await lobbyStatusOf(receiver).catch(() => "unknown");
      const mine = node.features.get(lobbyFeature).client.state.status;
      throw new Error(`${(err as Error).message}; lobby sockets now: sender ${mine}, receiver ${status}`);
    }
  } finally {
    await stop();
  }
}

/** `via`'s rounds and direct's, taken in turn between the pair's nodes (see the top of this file). */
export async function lobbyPathVsDirect(
  opts: RoundOptions,
  { sender, receiver }: LobbyPair,
  via: LobbyPath,
): Promise<LobbyPathFigures> {
  const hub = sender.fabric.hub;
  const rid = receiver.nodeId;
  const senderId = sender.identity.nodeId;
  const expectKey = Buffer.from(hub.row(rid)?.public_key ?? "", "base64");

  // The receiver's count of this sender's frames, and the transport its link runs over.
  const tab = await receiver.browser();
  const waiting: Array<(row: { msgs_in: number; transport: string | null }) => void> = [];
  tab.on((event, data) => {
    if (event !== "peer_metrics") return;
    const rows = (data as { metrics: Array<{ node_id: string; msgs_in: number; transport: string | null }> })
      .metrics;
    const row = rows.find((r) => r.node_id === senderId);
    waiting.shift()?.({ msgs_in: row?.msgs_in ?? 0, transport: row?.transport ?? null });
  });
  const ask = () =>
    within(
      5_000,
      "the receiver's count",
      new Promise<{ msgs_in: number; transport: string | null }>((resolve) => {
        waiting.push(resolve);
        tab.send({ channel: "network", event: "list_metrics", data: {} });
      }),
    );

  // Why a link went, so a round that loses its link says so.
  let lastClose = "";
  const offHub = hub.on({
    peerOffline: (id, info) => {
      if (id === rid) lastClose = `${info.code} ${info.reason}`;
    },
  });
  let current: Path = "direct";
  const setDirect = async (on: boolean) => {
    sender.settings.update({ "network.enableDirect": on });
    await receiver.api("PUT", "/api/settings", { "network.enableDirect": on });
  };
  const use = async (path: Path) => {
    if (path === current && hub.session(rid)?.link.transport === path) return;
    if (path !== "direct") {
      await setDirect(false);
      hub.disconnect(rid, `bench: over ${path === RELAY ? "the relay" : "WebRTC"} next`);
      await until("the direct link to close", () => hub.session(rid) === undefined, 5_000);
      await hub.dial(lobbyPathTo(path, rid), { expectKey });
    } else {
      await setDirect(true);
      await hub.dial(receiver.peerAddress, { expectKey });
    }
    await until(`a ${path} link at both ends`, async () => {
      if (hub.session(rid)?.link.transport !== path) return false;
      return (await ask()).transport === path;
    });
    current = path;
  };

  const data = { room: "bench-sink:frames", owner: senderId, update: "A".repeat(PAYLOAD_BYTES) };
  const tally: Record<Path, { frames: number; sender: number; receiver: number; lobby: number }> = {
    direct: { frames: 0, sender: 0, receiver: 0, lobby: 0 },
    relay: { frames: 0, sender: 0, receiver: 0, lobby: 0 },
    webrtc: { frames: 0, sender: 0, receiver: 0, lobby: 0 },
  };
  const cpu = () => ({ sender: selfCpuMs(), receiver: receiver.cpuMs(), lobby: processCpuMs(opts.lobbyPid) });

  /** Sends for `s` seconds under the window, then until all is counted; frames per second. */
  const measure = async (path: Path, s: number): Promise<number> => {
    await use(path);
    const base = (await ask()).msgs_in;
    const before = cpu();
    let sent = 0;
    let delivered = 0;
    let lastProgress = performance.now();
    const poll = async () => {
      await Bun.sleep(POLL_MS);
      const row = await ask();
      if (row.transport !== path) {
        await Bun.sleep(50);
        throw new Error(
          `the link left the ${path} path mid-round (the receiver has ${row.transport ?? "no link"}; sender heard ${lastClose || "no close"})`,
        );
      }
      const now = row.msgs_in - base;
      if (now > delivered) lastProgress = performance.now();
      else if (performance.now() - lastProgress > 5_000)
        throw new Error(`the receiver stopped counting (${path})`);
      delivered = now;
    };
    const started = performance.now();
    while (performance.now() - started < s * 1000) {
      while (sent - delivered < opts.window) {
        if (!hub.send(rid, "collab_awareness", data)) {
          await Bun.sleep(50); // the close reaches listeners a moment later
          throw new Error(`the ${path} link closed while sending (${lastClose || "no close heard"})`);
        }
        sent++;
      }
      while (sent - delivered > opts.window / 2) await poll();
    }
    while (delivered < sent) await poll();
    const rate = sent / ((performance.now() - started) / 1000);
    const after = cpu();
    const t = tally[path];
    t.frames += sent;
    t.sender += after.sender - before.sender;
    t.receiver += after.receiver - before.receiver;
    t.lobby += after.lobby - before.lobby;
    opts.progress(`${path}: ${Math.round(rate)} frames/s over ${s.toFixed(1)} s`);
    return rate;
  };

  const rates = await alternatingRounds<Path>(via, "direct", measure, {
    seconds: opts.seconds,
    rounds: opts.rounds,
    warmupS: opts.warmupS,
  });
  tab.close();
  offHub();
  const session = hub.session(rid);
  const perFrame = (path: Path, key: "sender" | "receiver" | "lobby") =>
    round((tally[path][key] * 1000) / Math.max(1, tally[path].frames), 2);
  const both = (key: "sender" | "receiver" | "lobby") => ({
    via: perFrame(via, key),
    direct: perFrame("direct", key),
  });
  return {
    rates: { via: rates.a, direct: rates.b },
    cpuUsPerFrame: { sender: both("sender"), receiver: both("receiver"), lobby: both("lobby") },
    sealedFrameBytes: session ? Math.round(session.stats.bytesOut / Math.max(1, session.stats.msgsOut)) : 0,
  };
}
