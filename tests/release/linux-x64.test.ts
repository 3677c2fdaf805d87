import { afterAll, describe, expect, test } from "bun:test";
import { LOCAL_NODE_ARGS, type RunningBinary, runBinary, startBinary } from "../helpers/binary.ts";
import { artifact, downloaded, repo, version } from "./release-files.ts";

/**
 * The linux-x64 download run as a person runs it: alone in an empty folder, started, asked for its
 * health and its page, stopped; then the compiled-binary suite's two files that need most of what
 * is inside it (the UI, migrations, data dir, signals; the WebRTC add-on between two copies).
 */

const file = `weft-${version}-linux-x64`;
const running: RunningBinary[] = [];
afterAll(async () => {
  await Promise.all(running.filter((n) => n.proc.exitCode === null).map((n) => n.signal("SIGKILL")));
});

describe(`${file}, alone in an empty folder`, () => {
  test("--version prints the release and the machine it is for", () => {
    const { dir, bin } = downloaded(file);
    const out = runBinary(bin, ["--version"], dir);
    expect(out).toEqual({ code: 0, stdout: `weft ${version} (linux-x64)\n`, stderr: "" });
  });

  test("starts, answers /api/health with its version, serves the UI and stops on SIGTERM", async () => {
    const { dir, bin } = downloaded(file);
    const node = await startBinary(bin, [...LOCAL_NODE_ARGS], dir);
    running.push(node);
    const health = (await (await fetch(`${node.url}api/health`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ status: "ok", version });
    const page = await fetch(node.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<title>weft</title>");
    expect((await node.signal("SIGTERM")).code).toBe(0);
  });
});

test(`${file} passes the compiled-binary suite's binary.test.ts and webrtc.test.ts`, async () => {
  const suite = ["tests/e2e/binary/binary.test.ts", "tests/e2e/binary/webrtc.test.ts"];
  const proc = Bun.spawn([process.execPath, "test", "--timeout", "60000", ...suite], {
    cwd: repo,
    env: { ...process.env, WEFT_BINARY: artifact(file) },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, out, err] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  // bun test reports on stderr; shown whole when it failed, its counts when it passed.
  const report = `${out}${err}`;
  const passed = Number(/^\s*(\d+) pass$/m.exec(report)?.[1] ?? 0);
  const failed = Number(/^\s*(\d+) fail$/m.exec(report)?.[1] ?? -1);
  if (code !== 0 || failed !== 0) console.error(report);
  else console.log(`the compiled-binary suite (${suite.join(", ")}) on ${file}: ${passed} pass, 0 fail`);
  expect({ code, failed }).toEqual({ code: 0, failed: 0 });
  expect(passed).toBeGreaterThanOrEqual(9);
}, 120_000);
