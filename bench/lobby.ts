/**
 * `bun bench/lobby.ts [--nodes 10000] [--procs 4] [--binary dist/weft] [--quick] [--instances 1]`: the lobby's
 * budgets (docs/architecture.md, "The lobby") in one JSON line on stdout, progress on stderr.
 *
 * 1. The lobby runs as the compiled binary (`weft --lobby`) in a process of its own, its per-IP,
 *    relay and send-buffer limits raised: every socket comes from 127.0.0.1, and the relay's
 *    budgets are what is measured.
 * 2. A swarm of `--procs` child processes (bench/lobby-swarm.ts) registers `--nodes` nodes, each
 *    with its own Ed25519 key, 200 registrations in flight per process; one node in ten is listed,
 *    so listed arrivals reach every socket in gathered `directory_changes` frames and each
 *    `registered` carries a directory of up to a tenth of the nodes (`--listed-every 1`: all). Figures: nodes held, time to register them all, the lobby's RSS.
 * 3. At that load a host (a socket of this process) opens an open room, and 1,000 distinct swarm
 *    nodes `join_room` it, one at a time per process: send → `room_info`, p50/p99/max.
 * 4. Two real nodes registered on the same lobby measure sealed 1 KiB frames over a direct link
 *    and over the relay in turn (bench/lobby-relay.ts), with the swarm still connected.
 *
 * Other flags: `--listed-every K` (1 lists every node, as `network.lobbyListed` does by default),
 * `--joins N`, `--seconds S` per path, `--window W` frames in flight, `--limit NAME=VALUE` for the
 * lobby, `--lobby-profile DIR` for a markdown CPU profile of the lobby (`BUN_OPTIONS=--cpu-prof-md`).
 *
 * `--instances N` (N ≥ 2; default 1, the run above) is the scale-out run (bench/lobby-scale-out.ts):
 * a `redis-server` of its own (installed apart, e.g. `apt-get install redis-server`) and N compiled
 * instances of one lobby on it, `--nodes` split evenly across them (`--procs` swarm processes in
 * all, each instance's its own). Beside registering, each instance's RSS and Redis memory per
 * node, it measures `--signals K` `signal`s (`--signal-window W` in flight) from a node on the
 * first instance to a node on the last, send → receive, against p99 ≤ 5 ms, and the joins with
 * the host on the last instance and the guests on the first. It skips the relay against direct,
 * which measures one instance's relay.
 *
 * Exits 0 whatever the figures are; non-zero only when the bench itself broke. Every process it
 * started is stopped on the way out, Ctrl-C included.
 */

import { loadavg } from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { benchCleanup } from "./bench-cleanup.ts";
import { quantile, round } from "./bench-stats.ts";
import { defaultBinary, processCpuMs } from "./binary-node.ts";
import { openRoom, registerSwarms, shares, socketsLost, swarmJoins, swarmKeys } from "./lobby-phases.ts";
import { fdLimits, health, rssMb, startLobbyProcess, startSwarm, swarmCpuMs } from "./lobby-procs.ts";
import { relayVsDirect } from "./lobby-relay.ts";
import { scaleOutRun } from "./lobby-scale-out.ts";

const BUDGET = { nodes: 10_000, rssMb: 1024, joinP99Ms: 50, relayRatio: 0.5 };

const { values: args } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    nodes: { type: "string" },
    procs: { type: "string" },
    binary: { type: "string" },
    quick: { type: "boolean", default: false },
    "listed-every": { type: "string", default: "10" },
    joins: { type: "string" },
    seconds: { type: "string" },
    /**
     * Frames in flight at most, both paths alike. A relayed link closes once the node's lobby
     * socket holds `CONGESTED_BYTES` (32 MiB, server/lobby/lobby-client.ts) unsent; 2,048 frames
     * of ~1.2 KB (~2.5 MB) keep both paths well inside what they buffer.
     */
    window: { type: "string", default: "2048" },
    /** NAME=VALUE, repeatable: a lobby limit over the bench's own (lobby/limits.ts names). */
    limit: { type: "string", multiple: true, default: [] },
    /** A folder for a markdown CPU profile of the lobby over the whole run. */
    "lobby-profile": { type: "string" },
    instances: { type: "string", default: "1" },
    signals: { type: "string" },
    "signal-window": { type: "string", default: "1" },
  },
});
const quick = args.quick === true;
const NODES = Number(args.nodes ?? (quick ? 400 : 10_000));
const PROCS = Math.max(1, Number(args.procs ?? (quick ? 2 : 4)));
const LISTED_EVERY = Math.max(1, Number(args["listed-every"]));
const JOINS = Math.min(NODES, Number(args.joins ?? (quick ? 100 : 1_000)));
const SECONDS = Number(args.seconds ?? (quick ? 1.5 : 6));
const WINDOW = Number(args.window);
const BINARY = resolve(args.binary ?? defaultBinary);
const INSTANCES = Number(args.instances);
if (!Number.isInteger(INSTANCES) || INSTANCES < 1)
  throw new Error(`--instances takes 1 or more, got ${args.instances}`);

const log = (line: string) => process.stderr.write(`lobby bench: ${line}\n`);

const { defer, cleanUp } = benchCleanup(log);

async function singleRun(): Promise<Record<string, unknown>> {
  const loadStart = loadavg()[0] ?? 0;
  const fds = fdLimits();
  const needed = NODES + 2_000;
  log(`descriptors: soft ${fds.soft}, hard ${fds.hard}; the lobby needs about ${needed}`);
  if (fds.hard !== "unlimited" && Number(fds.hard) < needed) {
    log(`the hard descriptor limit ${fds.hard} is below ${needed}: registrations will fail past it`);
  }
  const lobby = await startLobbyProcess({
    binary: BINARY,
    nodes: NODES,
    limits: args.limit ?? [],
    profileDir: args["lobby-profile"] ? resolve(args["lobby-profile"]) : undefined,
    defer,
  });
  const rssIdleMb = rssMb(lobby.pid);
  log(`lobby at ${lobby.wsUrl} (pid ${lobby.pid}), ${round(rssIdleMb)} MB idle`);

  // 2. The swarm: keys first in every process, then all register at once.
  const swarms = shares(NODES, PROCS).map((count, index) =>
    startSwarm(lobby, { index, count, listedEvery: LISTED_EVERY, defer }),
  );
  await swarmKeys(swarms);
  log(`${NODES} keys made in ${PROCS} processes; registering`);
  const cpuBeforeRegister = { lobby: processCpuMs(lobby.pid), swarm: swarmCpuMs(swarms) };
  const { seconds: registerS, failed } = await registerSwarms(swarms, log);
  const registerCpu = {
    lobby: processCpuMs(lobby.pid) - cpuBeforeRegister.lobby,
    swarm: swarmCpuMs(swarms) - cpuBeforeRegister.swarm,
  };
  await Bun.sleep(2_000);
  const held = (await health(lobby)).nodes;
  const rssMbLoaded = rssMb(lobby.pid);
  log(`${held} nodes held (${failed} failed) in ${round(registerS)} s; lobby RSS ${round(rssMbLoaded)} MB`);

  // 3. join_room at full load, from distinct swarm nodes.
  const room = await openRoom(lobby.wsUrl, defer);
  const lobbyCpuBeforeJoins = processCpuMs(lobby.pid);
  const joins = await swarmJoins(swarms, room.roomId, shares(JOINS, PROCS));
  const joinMs = joins.ms;
  const joinErrors = joins.errors;
  const joinCpuMs = processCpuMs(lobby.pid) - lobbyCpuBeforeJoins;
  log(
    `${joinMs.length} joins in ${round(joins.seconds)} s: p50 ${round(quantile(joinMs, 0.5), 2)} ms, p99 ${round(quantile(joinMs, 0.99), 2)} ms; host heard ${room.peerJoining()}`,
  );

  // 4. Relay against direct, the swarm still connected.
  const relay = await relayVsDirect({
    binary: BINARY,
    lobbyUrl: lobby.wsUrl,
    lobbyPid: lobby.pid,
    seconds: SECONDS,
    rounds: 3,
    warmupS: quick ? 0.3 : 1,
    window: WINDOW,
    progress: log,
    defer,
  });

  const lost = await socketsLost(swarms);
  const rssEndMb = rssMb(lobby.pid);
  const joinP99 = quantile(joinMs, 0.99);
  const figures = {
    bench: "lobby",
    binary: BINARY,
    quick,
    nodes_requested: NODES,
    swarm_procs: PROCS,
    listed_every: LISTED_EVERY,
    // The machine is shared: the 1-minute load average at the start and the end of the run.
    load_avg_1m: [round(loadStart, 2), round(loadavg()[0] ?? 0, 2)],
    nodes_registered: held,
    registrations_failed: failed,
    sockets_lost_after_registering: lost,
    register_s: round(registerS, 2),
    registrations_per_s: Math.round(held / registerS),
    // CPU seconds spent while registering: which side limits the rate on this machine's 2 cores.
    lobby_cpu_s_register: round(registerCpu.lobby / 1000, 2),
    swarm_cpu_s_register: round(registerCpu.swarm / 1000, 2),
    lobby_cpu_us_per_registration: Math.round((registerCpu.lobby * 1000) / Math.max(1, held)),
    lobby_rss_idle_mb: round(rssIdleMb),
    lobby_rss_mb: round(rssMbLoaded),
    rss_per_node_kb: round(((rssMbLoaded - rssIdleMb) * 1024) / Math.max(1, held), 2),
    lobby_rss_end_mb: round(rssEndMb),
    joins: joinMs.length,
    join_errors: joinErrors,
    join_room_p50_ms: round(quantile(joinMs, 0.5), 3),
    join_room_p99_ms: round(joinP99, 3),
    join_room_max_ms: round(Math.max(0, ...joinMs), 3),
    lobby_cpu_us_per_join: round((joinCpuMs * 1000) / Math.max(1, joinMs.length), 1),
    peer_joining_heard: room.peerJoining(),
    lobby_limits: lobby.limits,
    ...relay,
    budgets: {
      nodes_held_10000: { figure: held, budget: BUDGET.nodes, pass: held >= BUDGET.nodes },
      lobby_rss_1gb: { figure: round(rssMbLoaded), budget: BUDGET.rssMb, pass: rssMbLoaded <= BUDGET.rssMb },
      join_room_p99_50ms: {
        figure: round(joinP99, 3),
        budget: BUDGET.joinP99Ms,
        pass: joinP99 <= BUDGET.joinP99Ms,
      },
      relay_ratio_50pct: {
        figure: relay.relay_ratio,
        budget: BUDGET.relayRatio,
        pass: relay.relay_ratio >= BUDGET.relayRatio,
      },
    },
  };
  return figures;
}

async function main(): Promise<void> {
  const figures =
    INSTANCES === 1
      ? await singleRun()
      : await scaleOutRun({
          binary: BINARY,
          instances: INSTANCES,
          nodes: NODES,
          procs: PROCS,
          listedEvery: LISTED_EVERY,
          joins: JOINS,
          signals: Number(args.signals ?? (quick ? 500 : 2_000)),
          signalWindow: Math.max(1, Number(args["signal-window"])),
          limits: args.limit ?? [],
          profileDir: args["lobby-profile"] ? resolve(args["lobby-profile"]) : undefined,
          quick,
          log,
          defer,
        });
  await cleanUp();
  console.log(JSON.stringify(figures));
}

main().then(
  () => process.exit(0),
  async (err) => {
    log(`failed: ${(err as Error).stack ?? err}`);
    await cleanUp();
    process.exit(1);
  },
);
