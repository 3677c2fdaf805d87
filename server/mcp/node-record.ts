import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

/**
 * `<data dir>/node.json`: where the node running on a data dir listens, for programs that start
 * beside it (the `weft mcp` stdio bridge). The lock file says only that a node holds the dir;
 * this says how to reach it. Written once the listener is up, removed on stop.
 */
export const NODE_RECORD_FILE = "node.json";

export const nodeRecord = z.object({
  pid: z.int().positive(),
  port: z.int().min(1).max(65535),
  /** The node's own loopback URL, `http://127.0.0.1:<port>/` (or `[::1]` on an IPv6-only bind). */
  url: z.url(),
});
export type NodeRecord = z.infer<typeof nodeRecord>;

/** Writes the record (whole, by rename) and returns what removes it, unless another node's replaced it. */
export function writeNodeRecord(dataDir: string, record: NodeRecord): () => void {
  const path = join(dataDir, NODE_RECORD_FILE);
  const next = `${path}.${process.pid}.tmp`;
  writeFileSync(next, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  renameSync(next, path);
  return () => {
    if (readNodeRecord(dataDir)?.pid === record.pid) rmSync(path, { force: true });
  };
}

/** The record, or undefined when there is none or it does not parse. */
export function readNodeRecord(dataDir: string): NodeRecord | undefined {
  try {
    const parsed = nodeRecord.safeParse(JSON.parse(readFileSync(join(dataDir, NODE_RECORD_FILE), "utf8")));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The loopback URL that reaches a node bound to `host` (what `localHosts` in the local guard accepts). */
export function loopbackUrl(host: string, port: number): string {
  return host === "::1" ? `http://[::1]:${port}/` : `http://127.0.0.1:${port}/`;
}
