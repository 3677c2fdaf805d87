import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import { type RedisServer, startRedisServer } from "../../helpers/redis-server.ts";
import { tempDir } from "../../helpers/temp-dir.ts";

let server: RedisServer | undefined;
afterAll(() => server?.close());

/** Lines of JSON from `stream`, one at a time. */
async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<Record<string, unknown>> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true });
    for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
      yield JSON.parse(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
    }
  }
}

test("the Redis backplane works inside a compiled executable, through a Redis restart", async () => {
  server = await startRedisServer();
  const dir = tempDir("weft-redis-probe-");
  const outfile = join(dir, "probe");
  // The options scripts/build.ts compiles weft with.
  const built = await Bun.build({
    entrypoints: [join(import.meta.dir, "../../helpers/redis-backplane-probe.ts")],
    minify: true,
    bytecode: true,
    format: "esm",
    compile: { outfile, autoloadDotenv: false, autoloadBunfig: false },
  });
  expect(built.success).toBe(true);
  const proc = Bun.spawn([outfile, server.url], { cwd: dir, stdout: "pipe", stderr: "pipe" });
  try {
    const out = lines(proc.stdout);
    const next = async () => (await out.next()).value as Record<string, unknown>;
    expect(await next()).toEqual({ step: "ready", text: "text frame", bytes: [0x52, 0, 255, 128] });
    await server.stop();
    const seen: unknown[] = [];
    for (let i = 0; i < 2; i++) seen.push(await next());
    expect(seen).toContainEqual({ step: "health", instance: "compiled-a", status: "degraded" });
    expect(seen).toContainEqual({ step: "health", instance: "compiled-b", status: "degraded" });
    await server.start();
    let line = await next();
    while (line.step === "health") line = await next();
    expect(line).toEqual({ step: "caught up", instance: "compiled-a" });
    expect(await proc.exited).toBe(0);
  } finally {
    proc.kill("SIGKILL");
  }
}, 60_000);
