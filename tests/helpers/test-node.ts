import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { silentLogger } from "../../server/log.ts";
import { type NodeConfig, type RunningNode, startNode } from "../../server/node.ts";
import { tempDir } from "./temp-dir.ts";

/** Starts a real node on loopback, on a free port, with its own data dir. */
export async function startTestNode(overrides: Partial<NodeConfig> = {}): Promise<RunningNode> {
  return startNode(
    {
      port: 0,
      portExplicit: true,
      host: "127.0.0.1",
      dataDir: join(tempDir(), "data"),
      name: undefined,
      logLevel: "error",
      ...overrides,
    },
    silentLogger,
  );
}

/** Headers a same-origin browser request to `node` would carry. */
export function sameOrigin(node: { port: number }): Record<string, string> {
  return { origin: `http://localhost:${node.port}`, "content-type": "application/json" };
}

/**
 * A tiny built UI of its own (an index page and one hashed asset), for tests of what the node
 * serves that must not hang on whether, or what, a shared `dist/ui` holds.
 */
export function tempUiDir(): string {
  const uiDir = tempDir();
  writeFileSync(join(uiDir, "index.html"), "<!doctype html><title>weft</title>");
  writeFileSync(join(uiDir, "app-0123abcd.js"), "export {};");
  return uiDir;
}
