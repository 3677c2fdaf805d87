import { afterEach, expect } from "bun:test";
import { join } from "node:path";
import { createLogger } from "../../server/log.ts";
import { type RunningNode, startNode } from "../../server/node.ts";
import { tempDir } from "./temp-dir.ts";
import { sameOrigin } from "./test-node.ts";
import { openTab, type TestTab } from "./ws-client.ts";

/**
 * Real nodes on loopback, like `startTestNode`, but with every log line (debug and up) kept, so a
 * test can look for a secret in the log; with the node's settings API and tabs at hand. Nodes and
 * tabs a test started are closed after it.
 */
export function loggedNodes() {
  const running: RunningNode[] = [];
  const tabs: TestTab[] = [];
  afterEach(async () => {
    for (const tab of tabs.splice(0)) tab.close();
    for (const node of running.splice(0)) await node.stop();
  });
  return async function node() {
    const lines: string[] = [];
    const n = await startNode(
      {
        port: 0,
        portExplicit: true,
        host: "127.0.0.1",
        dataDir: join(tempDir(), "data"),
        name: undefined,
        logLevel: "debug",
      },
      createLogger("debug", (line) => lines.push(line)),
    );
    running.push(n);
    const base = `http://localhost:${n.port}/api/settings`;
    const put = async (patch: Record<string, unknown>) => {
      const res = await fetch(base, { method: "PUT", headers: sameOrigin(n), body: JSON.stringify(patch) });
      return { status: res.status, text: await res.text() };
    };
    const get = async (path = "") => {
      const res = await fetch(`${base}${path}`, { headers: sameOrigin(n) });
      expect(res.status).toBe(200);
      return res.text();
    };
    /** A tab on the node, once the node has welcomed it. */
    const tab = async () => {
      const t = await openTab(n.port);
      tabs.push(t);
      await t.next((f) => f.event === "welcome");
      return t;
    };
    return { node: n, lines, put, get, tab };
  };
}
