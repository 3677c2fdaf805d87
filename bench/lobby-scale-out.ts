/**
 * The scale-out run of bench/lobby.ts (`--instances N`, N ≥ 2): one lobby as N compiled instances
 * (`weft --lobby --redis-url`) sharing a real `redis-server` that this run starts on a free
 * loopback port, nothing saved to disk, and stops on the way out.
 *
 * The instances share one identity (the first's data dir copied to each other's) and run under
 * the single run's raised limits, the `signal` buckets raised as well so the signals measured
 * are never held back by a node's own rate. The swarm's `--nodes` are split evenly across the
 * instances, each instance's share from swarm processes of its own. Figures: time to register,
 * each instance's RSS, and Redis `used_memory` grown per node registered; then `signal` from a
 * node on the first instance to one on the last (bench/lobby-signal.ts), and `join_room` →
 * `room_info` by distinct swarm nodes of the first instance into a room hosted on the last.
 * The relay against direct is not run here: it measures one instance's relay.
 */
import { loadavg } from "node:os";
import { startRedisServer } from "../tests/helpers/redis-server.ts";
import { removeTempDirs } from "../tests/helpers/temp-dir.ts";
import { quantile, round } from "./bench-stats.ts";
import { processCpuMs } from "./binary-node.ts";
import { openRoom, registerSwarms, shares, socketsLost, swarmJoins, swarmKeys } from "./lobby-phases.ts";
import {
  type Defer,
  fdLimits,
  health,
  type Lobby,
  rssMb,
  type Swarm,
  startLobbyProcess,
  startSwarm,
  swarmCpuMs,
} from "./lobby-procs.ts";
import { crossSignals } from "./lobby-signal.ts";

const BUDGET = { nodes: 10_000, rssMb: 1024, joinP99Ms: 50, signalP99Ms: 5 };
/** Over the run's own limits: a node's `signal` bucket is 200/s by default, the run sends faster. */
const SIGNAL_LIMITS = ["signalPerSec=1000000", "signalBurst=1000000"];

/** What the scale-out run is given by bench/lobby.ts. */
export interface ScaleOutOptions {
  binary: string;
  instances: number;
  nodes: number;
  /** Swarm processes in all, rounded up to a whole number per instance. */
  procs: number;
  listedEvery: number;
  joins: number;
  signals: number;
  signalWindow: number;
  /** `NAME=VALUE` lobby limits over the run's own. */
  limits: readonly string[];
  profileDir?: string;
  quick: boolean;
  log(line: string): void;
  defer: Defer;
}

/** The run's `redis-server`: its address, its process, and what `INFO` says of it. */
interface BenchRedis {
  url: string;
  port: number;
  pid: number;
  info(section: string): Map<string, string>;
}

class RedisMissingError extends Error {
  override name = "RedisMissingError";
}

async function startRedis(defer: Defer): Promise<BenchRedis> {
  for (const bin of ["redis-server", "redis-cli"]) {
    if (!Bun.which(bin)) {
      throw new RedisMissingError(
        `${bin} is not on PATH: --instances runs the lobby on a real Redis (apt-get install redis-server)`,
      );
    }
  }
  const server = await startRedisServer();
  defer(async () => {
    await server.close();
    // The helper leaves its folder to the test preload; here nothing else would remove it.
    removeTempDirs();
  });
  const info = (section: string) => {
    const text = Bun.spawnSync(["redis-cli", "-p", String(server.port), "INFO", section]).stdout.toString();
    return new Map(
      text
        .split(/\r?\n/)
        .filter((l) => l.includes(":") && !l.startsWith("#"))
        .map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1)] as [string, string]),
    );
  };
  const pid = Number(info("server").get("process_id"));
  return { url: server.url, port: server.port, pid, info };
}

const usedMemory = (redis: BenchRedis) => Number(redis.info("memory").get("used_memory"));
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

export async function scaleOutRun(o: ScaleOutOptions): Promise<Record<string, unknown>> {
  const { log, defer } = o;
  const loadStart = loadavg()[0] ?? 0;
  const fds = fdLimits();
  log(
    `descriptors: soft ${fds.soft}, hard ${fds.hard}; each instance needs about ${o.nodes / o.instances + 2_000}`,
  );
  const redis = await startRedis(defer);
  log(`redis-server on ${redis.url} (pid ${redis.pid})`);

  // One identity: every instance after the first starts from a copy of the first's data dir.
  const lobbies: Lobby[] = [];
  for (let k = 0; k < o.instances; k++) {
    lobbies.push(
      await startLobbyProcess({
        binary: o.binary,
        nodes: o.nodes,
        limits: [...SIGNAL_LIMITS, ...o.limits],
        profileDir: o.profileDir,
        redisUrl: redis.url,
        identityFrom: lobbies[0]?.dataDir,
        defer,
      }),
    );
  }
  const first = lobbies[0]!;
  const last = lobbies.at(-1)!;
  const healthy = await Promise.all(lobbies.map(health));
  const instanceIds = healthy.map((h) => h.instance);
  if (healthy.some((h) => h.lobby_id !== first.lobbyId) || new Set(instanceIds).size !== o.instances) {
    throw new Error(`the instances are not one lobby: ${JSON.stringify(healthy)}`);
  }
  if (healthy.some((h) => h.status !== "ok"))
    throw new Error(`an instance is degraded: ${JSON.stringify(healthy)}`);
  const rssIdle = lobbies.map((l) => rssMb(l.pid));
  log(`${o.instances} instances of lobby ${first.lobbyId}: ${lobbies.map((l) => l.wsUrl).join(", ")}`);

  // The swarm: each instance's share of the nodes from processes of its own.
  const perInstance = Math.max(1, Math.ceil(o.procs / o.instances));
  const nodeShares = shares(o.nodes, o.instances);
  const swarms: Swarm[][] = lobbies.map((lobby, k) =>
    shares(nodeShares[k]!, perInstance).map((count, j) =>
      startSwarm(lobby, { index: k * perInstance + j, count, listedEvery: o.listedEvery, defer }),
    ),
  );
  const allSwarms = swarms.flat();
  await swarmKeys(allSwarms);
  log(`${o.nodes} keys made in ${allSwarms.length} processes; registering`);
  const lobbyCpu = () => lobbies.map((l) => processCpuMs(l.pid));
  const memBefore = usedMemory(redis);
  const cpuBefore = { lobbies: lobbyCpu(), redis: processCpuMs(redis.pid), swarm: swarmCpuMs(allSwarms) };
  const { seconds: registerS, failed } = await registerSwarms(allSwarms, log);
  const cpuAfter = { lobbies: lobbyCpu(), redis: processCpuMs(redis.pid), swarm: swarmCpuMs(allSwarms) };
  await Bun.sleep(2_000);
  const heldBy = (await Promise.all(lobbies.map(health))).map((h) => h.nodes);
  const held = sum(heldBy);
  const memAfter = usedMemory(redis);
  const redisKeys = Number(
    Bun.spawnSync(["redis-cli", "-p", String(redis.port), "DBSIZE"]).stdout.toString(),
  );
  const rssLoaded = lobbies.map((l) => rssMb(l.pid));
  const bytesPerNode = (memAfter - memBefore) / Math.max(1, held);
  log(
    `${held} nodes held (${heldBy.join(" + ")}, ${failed} failed) in ${round(registerS)} s; RSS ${rssLoaded.map((r) => round(r)).join(", ")} MB; Redis ${Math.round(bytesPerNode)} B/node`,
  );

  // `signal` from the first instance to the last.
  const cpuBeforeSignals = { lobbies: sum(lobbyCpu()), redis: processCpuMs(redis.pid) };
  const signals = await crossSignals({
    fromUrl: first.wsUrl,
    toUrl: last.wsUrl,
    count: o.signals,
    window: o.signalWindow,
    defer,
  });
  const signalCpu = {
    lobbies: sum(lobbyCpu()) - cpuBeforeSignals.lobbies,
    redis: processCpuMs(redis.pid) - cpuBeforeSignals.redis,
  };
  const sig = signals.ms;
  log(
    `${sig.length} signals across in ${round(signals.seconds, 2)} s (${signals.lost} lost): p50 ${round(quantile(sig, 0.5), 3)} ms, p99 ${round(quantile(sig, 0.99), 3)} ms${signals.refused.length ? `; refused: ${signals.refused.join("; ")}` : ""}`,
  );

  // join_room: the host on the last instance, the guests distinct swarm nodes of the first.
  const room = await openRoom(last.wsUrl, defer);
  const guests = swarms[0]!;
  const joinCount = Math.min(o.joins, nodeShares[0]!);
  const cpuBeforeJoins = sum(lobbyCpu());
  const joins = await swarmJoins(guests, room.roomId, shares(joinCount, guests.length));
  const joinCpuMs = sum(lobbyCpu()) - cpuBeforeJoins;
  const joinMs = joins.ms;
  const joinP99 = quantile(joinMs, 0.99);
  log(
    `${joinMs.length} joins across in ${round(joins.seconds)} s: p50 ${round(quantile(joinMs, 0.5), 2)} ms, p99 ${round(joinP99, 2)} ms; host heard ${room.peerJoining()}`,
  );

  const lost = await socketsLost(allSwarms);
  const endHealth = await Promise.all(lobbies.map(health));
  const rssEnd = lobbies.map((l) => rssMb(l.pid));
  const signalP99 = quantile(sig, 0.99);
  const rssMax = Math.max(...rssLoaded);
  const perUs = (ms: number, n: number) => round((ms * 1000) / Math.max(1, n), 1);
  return {
    bench: "lobby",
    binary: o.binary,
    quick: o.quick,
    instances: o.instances,
    nodes_requested: o.nodes,
    swarm_procs: allSwarms.length,
    listed_every: o.listedEvery,
    load_avg_1m: [round(loadStart, 2), round(loadavg()[0] ?? 0, 2)],
    health_status: endHealth.map((h) => h.status),
    nodes_registered: held,
    nodes_held_per_instance: heldBy,
    registrations_failed: failed,
    sockets_lost_after_registering: lost,
    register_s: round(registerS, 2),
    registrations_per_s: Math.round(held / registerS),
    lobby_cpu_s_register: cpuAfter.lobbies.map((ms, k) => round((ms - cpuBefore.lobbies[k]!) / 1000, 2)),
    redis_cpu_s_register: round((cpuAfter.redis - cpuBefore.redis) / 1000, 2),
    swarm_cpu_s_register: round((cpuAfter.swarm - cpuBefore.swarm) / 1000, 2),
    lobby_rss_idle_mb: rssIdle.map((r) => round(r)),
    lobby_rss_mb: rssLoaded.map((r) => round(r)),
    rss_per_node_kb: round(((sum(rssLoaded) - sum(rssIdle)) * 1024) / Math.max(1, held), 2),
    lobby_rss_end_mb: rssEnd.map((r) => round(r)),
    redis_used_memory_mb: round(memAfter / 2 ** 20),
    redis_bytes_per_node: Math.round(bytesPerNode),
    redis_keys: redisKeys,
    signals_cross: sig.length,
    signals_lost: signals.lost,
    signal_window: o.signalWindow,
    signal_cross_p50_ms: round(quantile(sig, 0.5), 3),
    signal_cross_p99_ms: round(signalP99, 3),
    signal_cross_max_ms: round(Math.max(0, ...sig), 3),
    lobby_cpu_us_per_cross_signal: perUs(signalCpu.lobbies, sig.length),
    redis_cpu_us_per_cross_signal: perUs(signalCpu.redis, sig.length),
    joins: joinMs.length,
    join_errors: joins.errors,
    join_cross_p50_ms: round(quantile(joinMs, 0.5), 3),
    join_cross_p99_ms: round(joinP99, 3),
    join_cross_max_ms: round(Math.max(0, ...joinMs), 3),
    lobby_cpu_us_per_join: perUs(joinCpuMs, joinMs.length),
    peer_joining_heard: room.peerJoining(),
    lobby_limits: first.limits,
    relay: "not run with --instances: it measures one instance's relay",
    budgets: {
      nodes_held_10000: { figure: held, budget: BUDGET.nodes, pass: held >= BUDGET.nodes },
      lobby_rss_1gb: { figure: round(rssMax), budget: BUDGET.rssMb, pass: rssMax <= BUDGET.rssMb },
      join_cross_p99_50ms: {
        figure: round(joinP99, 3),
        budget: BUDGET.joinP99Ms,
        pass: joinP99 <= BUDGET.joinP99Ms,
      },
      signal_cross_p99_5ms: {
        figure: round(signalP99, 3),
        budget: BUDGET.signalP99Ms,
        pass: signalP99 <= BUDGET.signalP99Ms && signals.lost === 0,
      },
    },
  };
}
