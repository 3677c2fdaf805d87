/**
 * Compiled binary start → first `/api/health` 200 (median of 10, cold and warm data dir), then the
 * idle RSS and CPU of one node left alone for 10 s. Prints one JSON line.
 *
 *   bun bench/startup.ts [--binary dist/weft] [--runs 10] [--idle-s 10]
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { median, round } from "./bench-stats.ts";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: { binary: { type: "string" }, runs: { type: "string" }, "idle-s": { type: "string" } },
});
const binary = values.binary ?? join(import.meta.dir, "..", "dist", "weft");
const runs = Number(values.runs ?? 10);
const idleS = Number(values["idle-s"] ?? 10);

function freePort(): number {
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = s.port!;
  s.stop(true);
  return port;
}

async function startOnce(dataDir: string) {
  const port = freePort();
  const started = performance.now();
  const proc = Bun.spawn(
    [binary, "--port", String(port), "--data-dir", dataDir, "--no-open", "--log-level", "warn"],
    {
      stdout: "ignore",
      stderr: "inherit",
    },
  );
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/health`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (performance.now() - started > 10_000) throw new Error("no health in 10 s");
    await Bun.sleep(1);
  }
  return { ms: performance.now() - started, proc };
}

const cold: number[] = [];
const warm: number[] = [];
const warmDir = mkdtempSync(join(tmpdir(), "weft-bench-"));
for (let i = 0; i < runs; i++) {
  const c = await startOnce(mkdtempSync(join(tmpdir(), "weft-bench-")));
  cold.push(c.ms);
  c.proc.kill("SIGTERM");
  await c.proc.exited;
  const w = await startOnce(warmDir);
  warm.push(w.ms);
  w.proc.kill("SIGTERM");
  await w.proc.exited;
}

// Idle: one node, nobody talking to it.
const idle = await startOnce(warmDir);
const ticks = () => {
  const fields = readFileSync(`/proc/${idle.proc.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks
};
await Bun.sleep(1000);
const t0 = ticks();
await Bun.sleep(idleS * 1000);
const cpuPct = ((ticks() - t0) / 100 / idleS) * 100; // Linux USER_HZ is 100
const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${idle.proc.pid}/status`, "utf8"))?.[1]);
idle.proc.kill("SIGTERM");
await idle.proc.exited;

console.log(
  JSON.stringify({
    bench: "startup",
    runs,
    start_to_health_ms_median_warm: round(median(warm)),
    start_to_health_ms_median_cold: round(median(cold)),
    start_to_health_ms_max_warm: round(Math.max(...warm)),
    idle_s: idleS,
    idle_cpu_pct: round(cpuPct),
    idle_rss_mb: round(rssKb / 1024),
    budget: { start_to_health_ms: 150, idle_rss_mb: 120 },
  }),
);
