import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The bearer token's file in the data dir; the stdio bridge reads it too. */
export const MCP_TOKEN_FILE = "mcp-token";

/** 32 random bytes as base64url: 43 characters. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export function mcpTokenPath(dataDir: string): string {
  return join(dataDir, MCP_TOKEN_FILE);
}

/**
 * The token in `<data dir>/mcp-token`, or undefined when there is none (or it is not one). Never
 * creates it: the stdio bridge reads the token of a node another process runs.
 */
export function readMcpToken(dataDir: string): string | undefined {
  try {
    const text = readFileSync(mcpTokenPath(dataDir), "utf8").trim();
    return TOKEN.test(text) ? text : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The node's MCP bearer token: read from `<data dir>/mcp-token`, or made (32 random bytes,
 * base64url) when the file is missing or holds no token. The file is the user's secret, so it is
 * mode 0600, and set back to 0600 if someone loosened it.
 */
export function loadOrCreateMcpToken(dataDir: string): string {
  const path = mcpTokenPath(dataDir);
  const existing = readMcpToken(dataDir);
  if (existing) {
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
    return existing;
  }
  const token = randomBytes(32).toString("base64url");
  // Written beside and renamed over, so a reader never sees half a token and a stale file with
  // looser bits is replaced, not rewritten in place with its old mode.
  const next = `${path}.${process.pid}.tmp`;
  writeFileSync(next, token, { mode: 0o600 });
  chmodSync(next, 0o600);
  renameSync(next, path);
  return token;
}

/**
 * Whether `given` is the token, in time that does not depend on where they differ: the sha256 of
 * each is compared, so the buffers always have the same length whatever the caller sent.
 */
export function tokenMatches(given: string, token: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(given), digest(token));
}
