/**
 * The phases bench/lobby.ts runs alike on one lobby instance and on several: the swarm making its
 * keys and registering, a room opened by a host of this process, `join_room` from distinct swarm
 * nodes, and the sockets the swarm lost meanwhile.
 */
import { within } from "./bench-stats.ts";
import type { Defer, Swarm } from "./lobby-procs.ts";
import { newIdentity, registerNode, type SwarmNode } from "./lobby-swarm.ts";

/** `total` split into `parts` counts that differ by one at most, the larger first. */
export const shares = (total: number, parts: number): number[] =>
  Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));

/** Resolves once every swarm process made its keys, so registering measures only registering. */
export async function swarmKeys(swarms: Swarm[]): Promise<void> {
  await Promise.all(
    swarms.map((s) =>
      within(
        120_000,
        "swarm keys",
        s.next((m) => m.t === "keys"),
      ),
    ),
  );
}

/** What registering the whole swarm took. */
export interface Registration {
  seconds: number;
  failed: number;
}

/** Every swarm registers its share at once; resolves when all are done, refusals logged. */
export async function registerSwarms(swarms: Swarm[], log: (line: string) => void): Promise<Registration> {
  const started = performance.now();
  for (const s of swarms) s.send({ cmd: "go" });
  const ready = await Promise.all(
    swarms.map((s, i) =>
      within(
        600_000,
        "the swarm to register",
        (async () => {
          for (;;) {
            const m = await s.next((x) => x.t === "progress" || x.t === "ready");
            if (m.t === "ready") return m;
            log(`swarm ${i}: ${m.registered} registered`);
          }
        })(),
      ),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  for (const m of ready) if (Number(m.failed) > 0) log(`refused: ${JSON.stringify(m.errors)}`);
  return { seconds, failed: ready.reduce((n, m) => n + Number(m.failed), 0) };
}

/** A room host registered from this process, its open room, and the `peer_joining` it heard. */
export interface HostedRoom {
  host: SwarmNode;
  roomId: string;
  peerJoining(): number;
}

/** Registers a host at `url` (unlisted) and opens a public open room there. */
export async function openRoom(url: string, defer: Defer): Promise<HostedRoom> {
  const host = await registerNode(url, newIdentity(), { name: "bench-host", listed: false });
  defer(() => host.close());
  const roomId = await within(
    5_000,
    "room_created",
    new Promise<string>((done) => {
      host.onMessage = (msg) => {
        if (msg.type === "room_created") done(msg.room.id);
      };
      host.send({ type: "create_room", name: "bench room", visibility: "public", policy: "open" });
    }),
  );
  let heard = 0;
  host.onMessage = (msg) => {
    if (msg.type === "peer_joining") heard += 1;
  };
  return { host, roomId, peerJoining: () => heard };
}

/** Every answer's time from `join_room` sent to `room_info`, and the joins refused or unanswered. */
export interface Joins {
  ms: number[];
  errors: number;
  seconds: number;
}

/** `counts[i]` distinct nodes of `swarms[i]` join `roomId`, one at a time per process. */
export async function swarmJoins(swarms: Swarm[], roomId: string, counts: number[]): Promise<Joins> {
  const started = performance.now();
  const answers = await Promise.all(
    swarms.map((s, i) => {
      s.send({ cmd: "join", room: roomId, count: counts[i] ?? 0, gapMs: 2 });
      return within(
        120_000,
        "the joins",
        s.next((m) => m.t === "joins"),
      );
    }),
  );
  return {
    ms: answers.flatMap((m) => m.ms as number[]),
    errors: answers.reduce((n, m) => n + Number(m.errors), 0),
    seconds: (performance.now() - started) / 1000,
  };
}

/** Swarm sockets the lobby closed after they registered. */
export async function socketsLost(swarms: Swarm[]): Promise<number> {
  const statuses = await Promise.all(
    swarms.map((s) => {
      s.send({ cmd: "status" });
      return within(
        10_000,
        "swarm status",
        s.next((m) => m.t === "status"),
      );
    }),
  );
  return statuses.reduce((n, m) => n + Number(m.lost), 0);
}
