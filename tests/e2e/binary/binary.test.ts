import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { healthResponse, identityResponse } from "../../../protocol/rest.ts";
import { lonelyBinary, type RunningBinary, runBinary, startBinary } from "../../helpers/binary.ts";
import { DOCUMENTED_FLAGS } from "../../helpers/documented-flags.ts";

let dir: string;
let bin: string;
let node: RunningBinary | undefined;

beforeAll(() => {
  ({ dir, bin } = lonelyBinary());
});
afterAll(async () => {
  if (node && node.proc.exitCode === null) await node.signal("SIGKILL");
});

describe("the compiled binary, alone in an empty folder", () => {
  test("is the only file there", () => {
    expect(readdirSync(dir)).toEqual(["weft"]);
  });

  test("serves the UI, health, identity and settings, then exits 0 on SIGTERM within 2 s", async () => {
    node = await startBinary(bin, ["--data-dir", "./data", "--port", "0", "--no-open"], dir);
    const base = node.url.replace(/\/$/, "");

    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<div id="app">');
    const script = /src="\.?\/?([^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const js = await fetch(`${base}/${script}`);
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toContain("javascript");
    expect((await js.text()).length).toBeGreaterThan(1000);

    const health = healthResponse.parse(await (await fetch(`${base}/api/health`)).json());
    const identity = identityResponse.parse(await (await fetch(`${base}/api/network/identity`)).json());
    expect(identity.node_id).toBe(health.node_id);
    expect(node.stdoutLine).toContain(identity.node_id);

    const settings = await fetch(`${base}/api/settings`, {
      method: "PUT",
      headers: { origin: base, "content-type": "application/json" },
      body: JSON.stringify({ "network.nodeName": "binary-node" }),
    });
    expect(settings.status).toBe(200);
    expect(
      ((await (await fetch(`${base}/api/network/identity`)).json()) as { node_name: string }).node_name,
    ).toBe("binary-node");

    const { code, ms } = await node.signal("SIGTERM");
    expect(code).toBe(0);
    expect(ms).toBeLessThan(2000);
    expect(existsSync(join(dir, "data", "weft.lock"))).toBe(false);
    expect(existsSync(join(dir, "data", "weft.db"))).toBe(true);
  });

  test("comes back with the same identity and settings, and exits 0 on SIGINT", async () => {
    const before = join(dir, "data", "identity.key");
    expect(existsSync(before)).toBe(true);
    node = await startBinary(bin, ["--port", "0", "--no-open"], dir, { WEFT_DATA_DIR: join(dir, "data") });
    const identity = identityResponse.parse(await (await fetch(`${node.url}api/network/identity`)).json());
    expect(identity.node_name).toBe("binary-node");
    expect(node.stdoutLine).toContain(identity.node_id);
    expect((await node.signal("SIGINT")).code).toBe(0);
  });

  test("uses the platform data dir when none is given", async () => {
    node = await startBinary(bin, ["--port", "0", "--no-open"], dir, { XDG_DATA_HOME: join(dir, "xdg") });
    expect(existsSync(join(dir, "xdg", "weft", "identity.key"))).toBe(true);
    expect(node.stdoutLine).toContain(join(dir, "xdg", "weft"));
    expect((await node.signal()).code).toBe(0);
  });

  test("prints help listing every flag, and its version", () => {
    const help = runBinary(bin, ["--help"], dir);
    expect(help.code).toBe(0);
    for (const flag of DOCUMENTED_FLAGS) {
      expect(help.stdout).toContain(flag);
    }
    const version = runBinary(bin, ["--version"], dir);
    expect(version.code).toBe(0);
    // The release and the machine the binary was built for, e.g. "weft 0.1.0 (linux-x64)".
    expect(version.stdout).toMatch(/^weft \d+\.\d+\.\d+ \((linux|darwin|windows)-(x64|arm64)\)\n$/);
  });

  test("a bad flag, an unusable data dir or a node-only flag on a lobby print one line and exit 2", () => {
    const blocker = join(dir, "a-file");
    writeFileSync(blocker, "x");
    const cases: Array<[string[], string]> = [
      [["--bogus"], "--bogus"],
      [["--port", "high"], "--port must be a port number"],
      [["--data-dir", join(blocker, "sub")], "data dir"],
      [["--lobby", "--name", "x"], "--name is only for a node"],
    ];
    for (const [args, expected] of cases) {
      const r = runBinary(
        bin,
        [...args, "--no-open"].filter((a) => !(args[0] === "--lobby" && a === "--no-open")),
        dir,
      );
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(expected);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).not.toMatch(/at .*:\d+/);
    }
  });
});
