import { describe, expect, test } from "bun:test";
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { mcpInfo } from "../../../protocol/mcp.ts";
import { loadOrCreateMcpToken, readMcpToken, tokenMatches } from "../../../server/mcp/mcp-token.ts";
import { readNodeRecord } from "../../../server/mcp/node-record.ts";
import { api, nodePool } from "../../helpers/peer-nodes.ts";
import { tempDir } from "../../helpers/temp-dir.ts";

const modeOf = (path: string) => statSync(path).mode & 0o777;

describe("the MCP token", () => {
  test("a new data dir gets 32 random bytes as base64url, in mcp-token of mode 0600", () => {
    const dir = tempDir();
    const token = loadOrCreateMcpToken(dir);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, "base64url")).toHaveLength(32);
    expect(readFileSync(join(dir, "mcp-token"), "utf8")).toBe(token);
    expect(modeOf(join(dir, "mcp-token"))).toBe(0o600);
    expect(loadOrCreateMcpToken(tempDir())).not.toBe(token);
  });

  test("the same token is read again, and a file someone loosened is set back to 0600", () => {
    const dir = tempDir();
    const token = loadOrCreateMcpToken(dir);
    chmodSync(join(dir, "mcp-token"), 0o644);
    expect(loadOrCreateMcpToken(dir)).toBe(token);
    expect(modeOf(join(dir, "mcp-token"))).toBe(0o600);
    expect(readMcpToken(dir)).toBe(token);
  });

  test("a file that holds no token is replaced by a fresh one; reading alone never makes one", () => {
    const dir = tempDir();
    expect(readMcpToken(dir)).toBeUndefined();
    expect(existsSync(join(dir, "mcp-token"))).toBe(false);
    writeFileSync(join(dir, "mcp-token"), "not a token\n", { mode: 0o644 });
    const token = loadOrCreateMcpToken(dir);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(modeOf(join(dir, "mcp-token"))).toBe(0o600);
  });

  test("only the exact token matches", () => {
    const token = loadOrCreateMcpToken(tempDir());
    expect(tokenMatches(token, token)).toBe(true);
    expect(tokenMatches(`${token} `, token)).toBe(false);
    expect(tokenMatches(token.slice(1), token)).toBe(false);
    expect(tokenMatches("", token)).toBe(false);
  });
});

describe("a running node's MCP facts", () => {
  const pool = nodePool();

  test("GET /api/mcp gives the URL, the data dir's token and configs to paste for HTTP and stdio", async () => {
    const node = await pool.start();
    const { status, body } = await api(node, "GET", "/api/mcp");
    expect(status).toBe(200);
    const info = mcpInfo.parse(body);
    const token = readFileSync(join(node.dataDir, "mcp-token"), "utf8");
    expect(info.url).toBe(`http://127.0.0.1:${node.port}/mcp`);
    expect(info.token).toBe(token);
    expect(info.client_config).toEqual({
      mcpServers: { weft: { type: "http", url: info.url, headers: { Authorization: `Bearer ${token}` } } },
    });
    expect(info.stdio_command).toEndWith(`mcp --data-dir ${node.dataDir}`);
    expect(info.stdio_config.mcpServers.weft).toMatchObject({
      type: "stdio",
      args: ["mcp", "--data-dir", node.dataDir],
    });
  });

  test("node.json records the node's port and pid while it runs and is gone once it stops", async () => {
    const node = await pool.start();
    expect(readNodeRecord(node.dataDir)).toEqual({
      pid: process.pid,
      port: node.port,
      url: `http://127.0.0.1:${node.port}/`,
    });
    expect(modeOf(join(node.dataDir, "node.json"))).toBe(0o600);
    await pool.stop(node);
    expect(existsSync(join(node.dataDir, "node.json"))).toBe(false);
  });
});
