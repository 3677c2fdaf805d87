/**
 * `bun bench/webrtc.ts [--binary dist/weft] [--quick] [--seconds S] [--links N] [--window W]
 * [--skip-netns]`: WebRTC's budgets on loopback, and the same figures between two NATed hosts in
 * network namespaces, in one JSON line on stdout, progress on stderr.
 *
 * A compiled lobby (`weft --lobby`) in a process of its own, a compiled node (the receiver) and a
 * node in this process (the sender), both registered on it, paired directly, the relay off on
 * both for the whole run (bench/lobby-relay.ts `withLobbyPair`). Then:
 *
 * 1. `signal_to_handshake_ms`: `--links` fresh WebRTC links (20; 5 with --quick), direct links off
 *    on both, each dialed by the sender after the last one was disconnected at both ends (see
 *    bench/webrtc-handshakes.ts). Each spans, on the sender's clock, from its lobby socket sending
 *    the dial's first `rtc_offer` to the weft handshake done over the open data channel (the hub
 *    holds the session); the receiver's peer row is checked to show the link `connected` over
 *    WebRTC after each. The offer is sent once the dial has made its peer connection and
 *    libdatachannel its description, so `dial_to_offer_ms` is apart from the figure;
 *    `handshake_parts_ms` splits the rest: offer → answer back through the lobby, answer →
 *    channel open (ICE, DTLS, SCTP), open → weft handshake done. A DTLS flight lost on the way
 *    costs libdatachannel's fixed 1 s retransmit timer, which shows as a max of about 1000 ms in
 *    the channel's part.
 * 2. Sealed 1 KiB frames, one direction, over WebRTC and over a direct link between the same two
 *    nodes, in rounds taken in turn, counted at the receiver (bench/lobby-relay.ts
 *    `lobbyPathVsDirect`, as the relay is measured against direct in bench/lobby.ts).
 *
 * `budgets`, shaped as bench/lobby.ts has them: the span's p99 at most 1.5 s, and WebRTC's rate at
 * least 0.30 of direct's, on loopback. `netns`: the same run again between two hosts behind
 * endpoint-independent NATs, 20 ms added on each router's WAN, with the lobby on the simulated
 * internet (bench/webrtc-netns.ts; root only, else it says why not). Exits 0 whatever the
 * figures are; non-zero only when the bench itself broke. Every process it started is stopped on
 * the way out, Ctrl-C included.
 */

import { mkdtempSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { WEBRTC } from "../server/fabric/links/webrtc-link.ts";
import { benchCleanup } from "./bench-cleanup.ts";
import { median, quantile, round } from "./bench-stats.ts";
import { type BinaryPlacement, defaultBinary } from "./binary-node.ts";
import { startLobbyProcess } from "./lobby-procs.ts";
import { lobbyPathVsDirect, withLobbyPair } from "./lobby-relay.ts";
import { timeHandshakes } from "./webrtc-handshakes.ts";
import { type InsideNetns, netnsUnavailable, receiverPlacement, runInNetns } from "./webrtc-netns.ts";

const BUDGET = { signalToHandshakeP99Ms: 1_500, webrtcRatio: 0.3 };
/** The delay each router's WAN adds to what it sends, in the namespaces. */
const NETNS_DELAY_MS = 20;

const { values: args } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    binary: { type: "string" },
    quick: { type: "boolean", default: false },
    seconds: { type: "string" },
    links: { type: "string" },
    /** Frames in flight at most, both paths alike, as bench/lobby.ts has it. */
    window: { type: "string", default: "2048" },
    /** Loopback only: no network namespaces (they need root). */
    "skip-netns": { type: "boolean", default: false },
    /** Set by the run itself when it starts again inside the sender's namespace (bench/webrtc-netns.ts). */
    "inside-netns": { type: "string" },
  },
});
const quick = args.quick === true;
const LINKS = Number(args.links ?? (quick ? 5 : 20));
const SECONDS = Number(args.seconds ?? (quick ? 1.5 : 6));
const WINDOW = Number(args.window);
const BINARY = resolve(args.binary ?? defaultBinary);
if (!Number.isInteger(LINKS) || LINKS < 1) throw new Error(`--links takes 1 or more, got ${args.links}`);
if (!(SECONDS > 0)) throw new Error(`--seconds takes a positive number, got ${args.seconds}`);
if (!Number.isInteger(WINDOW) || WINDOW < 2) throw new Error(`--window takes 2 or more, got ${args.window}`);

const log = (line: string) => process.stderr.write(`webrtc bench: ${line}\n`);

const { defer, cleanUp } = benchCleanup(log);

/** The figures of one place (loopback, or inside the namespaces) over a lobby at `lobbyUrl`. */
async function measure(lobbyUrl: string, lobbyPid: number, receiverAt?: BinaryPlacement) {
  const { handshakes, frames } = await withLobbyPair(
    { binary: BINARY, lobbyUrl, via: WEBRTC, defer, ...(receiverAt ? { receiverAt } : {}) },
    async (pair) => ({
      handshakes: await timeHandshakes(pair, LINKS, log),
      frames: await lobbyPathVsDirect(
        {
          lobbyPid,
          seconds: SECONDS,
          rounds: 3,
          warmupS: quick ? 0.3 : 1,
          window: WINDOW,
          progress: log,
        },
        pair,
        WEBRTC,
      ),
    }),
  );
  const { samples } = handshakes;
  const spans = samples.map((s) => s.done - s.offer);
  const p50AndMax = (xs: number[]) => ({ p50: round(median(xs), 1), max: round(Math.max(...xs), 1) });
  return {
    p99: quantile(spans, 0.99),
    ratio: round(frames.rates.via / frames.rates.direct, 3),
    figures: {
      links: samples.length,
      signal_to_handshake_ms: {
        p50: round(quantile(spans, 0.5), 1),
        p99: round(quantile(spans, 0.99), 1),
        max: round(Math.max(...spans), 1),
      },
      dial_to_offer_ms: p50AndMax(samples.map((s) => s.offer)),
      handshake_parts_ms: {
        offer_to_answer: p50AndMax(samples.map((s) => s.answer - s.offer)),
        answer_to_channel_open: p50AndMax(samples.map((s) => s.open - s.answer)),
        channel_open_to_handshake_done: p50AndMax(samples.map((s) => s.done - s.open)),
      },
      // What the receiver's peer row says the last link runs over: ICE's candidate pair.
      webrtc_route: handshakes.route,
      webrtc_frames_per_s: Math.round(frames.rates.via),
      direct_frames_per_s: Math.round(frames.rates.direct),
      webrtc_ratio: round(frames.rates.via / frames.rates.direct, 3),
      sender_cpu_us_per_frame: {
        direct: frames.cpuUsPerFrame.sender.direct,
        webrtc: frames.cpuUsPerFrame.sender.via,
      },
      receiver_cpu_us_per_frame: {
        direct: frames.cpuUsPerFrame.receiver.direct,
        webrtc: frames.cpuUsPerFrame.receiver.via,
      },
      // The lobby carries no frame of a WebRTC link: near direct's figure, it shows none went through it.
      lobby_cpu_us_per_frame: {
        direct: frames.cpuUsPerFrame.lobby.direct,
        webrtc: frames.cpuUsPerFrame.lobby.via,
      },
      sealed_frame_bytes: frames.sealedFrameBytes,
    },
  };
}

/** The args this run was given, for the run inside the namespaces (less what only this side needs). */
function passedOn(): string[] {
  const out = ["--binary", BINARY, "--window", String(WINDOW), "--links", String(LINKS)];
  out.push("--seconds", String(SECONDS));
  if (quick) out.push("--quick");
  return out;
}

async function main(): Promise<Record<string, unknown>> {
  if (args["inside-netns"] !== undefined) {
    const inside = JSON.parse(args["inside-netns"]) as InsideNetns;
    const receiverAt = await receiverPlacement(inside, defer);
    return (await measure(inside.lobbyUrl, inside.lobbyPid, receiverAt)).figures;
  }
  const loadStart = loadavg()[0] ?? 0;
  const lobby = await startLobbyProcess({ binary: BINARY, nodes: 2, limits: [], defer });
  log(`lobby at ${lobby.wsUrl} (pid ${lobby.pid})`);
  const loopback = await measure(lobby.wsUrl, lobby.pid);
  const unavailable = args["skip-netns"] ? "not measured: --skip-netns" : netnsUnavailable();
  const netns =
    unavailable ??
    (await runInNetns({
      binary: BINARY,
      args: passedOn(),
      dir: mkdtempSync(join(tmpdir(), "weft-bench-netns-")),
      delayMs: NETNS_DELAY_MS,
      log,
      defer,
    }));
  const { p99, ratio } = loopback;
  return {
    bench: "webrtc",
    binary: BINARY,
    quick,
    // The machine is shared: the 1-minute load average at the start and the end of the run.
    load_avg_1m: [round(loadStart, 2), round(loadavg()[0] ?? 0, 2)],
    ...loopback.figures,
    window: WINDOW,
    rounds: 3,
    netns: typeof netns === "string" ? netns : { wan_delay_ms_each_way: NETNS_DELAY_MS, ...netns },
    budgets: {
      signal_to_handshake_p99_1500ms: {
        figure: round(p99, 1),
        budget: BUDGET.signalToHandshakeP99Ms,
        pass: p99 <= BUDGET.signalToHandshakeP99Ms,
      },
      webrtc_ratio_30pct: { figure: ratio, budget: BUDGET.webrtcRatio, pass: ratio >= BUDGET.webrtcRatio },
    },
  };
}

main().then(
  async (figures) => {
    await cleanUp();
    console.log(JSON.stringify(figures));
    process.exit(0);
  },
  async (err) => {
    log(`failed: ${(err as Error).stack ?? err}`);
    await cleanUp();
    process.exit(1);
  },
);
