import { afterEach, describe, expect, test } from "bun:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { silentLogger } from "../../../server/log.ts";
import { createMcpServer, type McpToolDeps } from "../../../server/mcp/mcp-server.ts";
import { type McpSessionLimits, McpSessions } from "../../../server/mcp/mcp-sessions.ts";
import { connectClient, httpTransport } from "../../helpers/mcp-client.ts";

const tools: McpToolDeps = {
  self: () => ({ node_id: "aaaaaaaaaaaaaaaa", name: "bounded" }),
  peers: () => [],
  peer: () => undefined,
  capabilitiesOf: () => [],
  askPeer: async () => ({ ok: false, error: "unused" }),
  chat: { send: () => ({}) as never, page: () => ({ messages: [], hasMore: false }) },
  collab: { listing: () => [], room: () => undefined, releaseIfIdle: () => {} },
  roomPanes: () => [],
};

const opened: Array<{ sessions: McpSessions; clients: Client[] }> = [];
afterEach(async () => {
  for (const { sessions, clients } of opened.splice(0)) {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await sessions.close();
  }
});

/** Sessions reached straight through `handle`, as the route calls it once the token checked out. */
function bounded(limits: McpSessionLimits) {
  const sessions = new McpSessions(() => createMcpServer(tools), silentLogger, limits);
  const entry = { sessions, clients: [] as Client[] };
  opened.push(entry);
  const direct = (async (input: string | URL | Request, init?: RequestInit) => {
    const req = new Request(String(input), init);
    const text = req.method === "POST" ? await req.clone().text() : "";
    return sessions.handle(req, text === "" ? undefined : JSON.parse(text));
  }) as typeof fetch;
  return {
    sessions,
    async connect(): Promise<Client> {
      const client = await connectClient(httpTransport(new URL("http://127.0.0.1:1/mcp"), "t", direct));
      entry.clients.push(client);
      return client;
    },
  };
}

describe("MCP sessions", () => {
  test("past the cap a new session is refused with a reason, and an idle one makes room", async () => {
    const { sessions, connect } = bounded({ maxSessions: 2, idleMs: 300 });
    const first = await connect();
    await connect();
    expect(sessions.size).toBe(2);
    await expect(connect()).rejects.toThrow("too many MCP sessions (at most 2)");
    await Bun.sleep(350);
    await connect();
    expect(sessions.size).toBe(1);
    // The idle one was closed: its client is told the session is gone.
    await expect(first.listTools()).rejects.toThrow("Session not found");
  });

  test("a session in use is not idle, and a request without a session must be an initialize", async () => {
    const { sessions, connect } = bounded({ maxSessions: 1, idleMs: 300 });
    const client = await connect();
    for (let i = 0; i < 4; i++) {
      await Bun.sleep(120);
      expect((await client.listTools()).tools).toHaveLength(6);
    }
    await expect(connect()).rejects.toThrow("too many MCP sessions");
    const stray = await sessions.handle(
      new Request("http://127.0.0.1:1/mcp", { method: "POST", headers: { accept: "application/json" } }),
      { jsonrpc: "2.0", id: 1, method: "tools/list" },
    );
    expect(stray.status).toBe(400);
    expect(await stray.text()).toContain("initialize");
  });

  test("closing ends every session and refuses new ones", async () => {
    const { sessions, connect } = bounded({ maxSessions: 4, idleMs: 60_000 });
    const client = await connect();
    await sessions.close();
    expect(sessions.size).toBe(0);
    await expect(client.listTools()).rejects.toThrow();
    await expect(connect()).rejects.toThrow("the node is stopping");
  });
});
