import { afterAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import type { PairResult } from "../../../protocol/network.ts";
import { binaryPool, callNode, lonelyBinary, type RunningBinary, startBinary } from "../../helpers/binary.ts";
import { type SilentSocket, silentUpgrade } from "../../helpers/silent-sockets.ts";

/**
 * The compiled binary under a low file-descriptor limit, with its pending-handshake cap (64 in
 * total, 8 per address, the defaults) full of sockets that upgraded `/peer-ws` and never spoke.
 */

const FD_LIMIT = 512;
const HOG_ADDRESSES = ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"].concat([
  "127.0.0.6",
  "127.0.0.7",
  "127.0.0.8",
  "127.0.0.9",
]);
/** More refused attempts than the node has descriptors: each must be answered and closed. */
const REFUSED_ATTEMPTS = 600;

const pool = binaryPool();
const sockets: SilentSocket[] = [];
let limited: RunningBinary | undefined;
afterAll(async () => {
  for (const s of sockets) s.socket.destroy();
  if (limited?.proc.exitCode === null) await limited.signal();
  await pool.stopAll();
});

/** CPU seconds the process has used so far (user + system), from /proc. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const openFds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

async function healthMs(node: RunningBinary): Promise<number> {
  const started = performance.now();
  const res = await fetch(`http://127.0.0.1:${node.port}/api/health`, { signal: AbortSignal.timeout(2_000) });
  expect(res.status).toBe(200);
  await res.json();
  return performance.now() - started;
}

describe("the compiled binary with its pending handshakes full", () => {
  test("stays responsive, refuses the excess at once, still pairs an honest peer and times the silent out", async () => {
    const { bin, dir } = lonelyBinary();
    const args = [
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--data-dir",
      "./data",
      "--no-open",
      "--name",
      "target",
    ];
    limited = await startBinary(
      "/bin/sh",
      ["-c", `ulimit -n ${FD_LIMIT}; exec "$0" "$@"`, bin, ...args],
      dir,
    );
    const node = limited;
    const pid = node.proc.pid;
    expect(readFileSync(`/proc/${pid}/limits`, "utf8")).toMatch(
      new RegExp(`Max open files\\s+${FD_LIMIT}\\s+${FD_LIMIT}`),
    );

    // Fill the cap: eight silent sockets from each of eight addresses.
    for (const from of HOG_ADDRESSES) {
      const batch = await Promise.all(Array.from({ length: 8 }, () => silentUpgrade(node.port, from)));
      sockets.push(...batch);
    }
    expect(sockets.map((s) => s.status)).toEqual(Array(64).fill(101));

    // Everything more from those sources is refused before the upgrade, and the connection closed.
    for (let sent = 0; sent < REFUSED_ATTEMPTS; sent += 100) {
      const batch = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          silentUpgrade(node.port, HOG_ADDRESSES[(sent + i) % HOG_ADDRESSES.length]),
        ),
      );
      expect(batch.map((s) => s.status)).toEqual(Array(100).fill(503));
      expect(batch[0]!.reply).toContain("too many handshakes in progress");
      await Promise.all(batch.map((s) => s.closed));
    }
    // The refused attempts hold nothing: the node is far from its limit.
    expect(openFds(pid)).toBeLessThan(64 + 100);

    // Idle with the cap full, the node does not spin.
    const before = cpuSeconds(pid);
    await Bun.sleep(1_000);
    expect(cpuSeconds(pid) - before).toBeLessThan(0.2);

    // Health answers at once (the median of a few calls, so one scheduler hiccup cannot decide).
    const times: number[] = [];
    for (let i = 0; i < 5; i++) times.push(await healthMs(node));
    times.sort((a, b) => a - b);
    expect(times[2]!).toBeLessThan(50);

    // An honest node from a quiet address still pairs by invite.
    const friend = await pool.start("friend");
    const { invite } = await callNode<{ invite: string }>(node, "POST", "/api/network/invite", {});
    const paired = await callNode<PairResult>(friend, "POST", "/api/network/pair", { invite });
    expect(paired.ok).toBe(true);

    // The silent sockets are closed by the handshake timeout, and their descriptors go with them.
    await Promise.all(sockets.map((s) => s.closed));
    expect(openFds(pid)).toBeLessThan(40);
    expect((await healthMs(node)) < 1_000).toBe(true);
  }, 60_000);
});
