import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHttpApp } from "../../../server/http/app.ts";
import { silentLogger } from "../../../server/log.ts";
import { mcpRoutes } from "../../../server/mcp/mcp-routes.ts";
import { createMcpServer, type McpToolDeps } from "../../../server/mcp/mcp-server.ts";
import { McpSessions } from "../../../server/mcp/mcp-sessions.ts";
import { loadOrCreateMcpToken } from "../../../server/mcp/mcp-token.ts";
import { fromLan, fromLoopback, realHttpContext, TEST_PORT } from "../../helpers/http-context.ts";
import {
  clientPool,
  connectClient,
  httpTransport,
  mcpToken,
  mcpUrl,
  resultJson,
} from "../../helpers/mcp-client.ts";
import { nodePool } from "../../helpers/peer-nodes.ts";
import { tempDir } from "../../helpers/temp-dir.ts";

/** Tools over nothing: these tests are about who reaches `/mcp`, not what the tools do. */
const noTools: McpToolDeps = {
  self: () => ({ node_id: "aaaaaaaaaaaaaaaa", name: "guarded" }),
  peers: () => [],
  peer: () => undefined,
  capabilitiesOf: () => [],
  askPeer: async () => ({ ok: false, error: "unused" }),
  chat: {
    send: () => {
      throw new Error("unused");
    },
    page: () => ({ messages: [], hasMore: false }),
  },
  collab: { listing: () => [], room: () => undefined, releaseIfIdle: () => {} },
  roomPanes: () => [],
};

let app: ReturnType<typeof createHttpApp>;
let token: string;
let sessions: McpSessions;
beforeAll(async () => {
  const ctx = await realHttpContext();
  token = loadOrCreateMcpToken(tempDir());
  sessions = new McpSessions(() => createMcpServer(noTools), silentLogger);
  const mcp = mcpRoutes({ token, port: () => TEST_PORT, sessions, log: silentLogger });
  app = createHttpApp(ctx, { routes: ctx.routes, uiDir: "/nonexistent-ui", mcp });
});
afterAll(() => sessions.close());

const initialize = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "probe", version: "1" } },
};

/** One POST to `/mcp` as a client (or a page, or another machine) would send it. */
function post(headers: Record<string, string>, env = fromLoopback) {
  return app.request(
    "/mcp",
    {
      method: "POST",
      headers: {
        host: `127.0.0.1:${TEST_PORT}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        ...headers,
      },
      body: JSON.stringify(initialize),
    },
    env,
  );
}

describe("/mcp's guard", () => {
  test("a request with no token is 401 with a Bearer challenge, and opens no session", async () => {
    const res = await post({});
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toStartWith("Bearer");
    expect(((await res.json()) as { error: string }).error).toContain("Authorization: Bearer");
    expect((await post({ authorization: `Basic ${btoa(`weft:${token}`)}` })).status).toBe(401);
    expect(sessions.size).toBe(0);
  });

  test("a wrong token is 401 and the answer does not echo it", async () => {
    // The last character changed to another: a token that already ends in "A" must not get "A".
    const oneOff = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
    for (const wrong of [oneOff, "short", `${token}${token}`]) {
      const res = await post({ authorization: `Bearer ${wrong}` });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
      expect(await res.text()).not.toContain(wrong);
    }
    expect(sessions.size).toBe(0);
  });

  test("a foreign Origin is 403 even with the right token; this node's own Origin is fine", async () => {
    const foreign = await post({ authorization: `Bearer ${token}`, origin: "http://evil.example" });
    expect(foreign.status).toBe(403);
    expect(((await foreign.json()) as { error: string }).error).toContain("cross-origin");
    const own = await post({ authorization: `Bearer ${token}`, origin: `http://localhost:${TEST_PORT}` });
    expect(own.status).toBe(200);
    await own.body?.cancel();
  });

  test("another machine is refused as the local guard refuses it, token or not", async () => {
    const res = await post({ authorization: `Bearer ${token}`, host: `192.168.1.2:${TEST_PORT}` }, fromLan);
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: "only this machine may use this weft's UI and API" });
    // A DNS-rebinding page reaches loopback under a foreign Host: refused too.
    const rebound = await post({ authorization: `Bearer ${token}`, host: "attacker.example" });
    expect(rebound.status).toBe(403);
  });

  test("with the right token the SDK's Client initializes and lists the tools", async () => {
    // As a socket would deliver it: app.request() alone leaves the Host header out.
    const through = (input: string | URL | Request, init?: RequestInit) => {
      const headers = new Headers(init?.headers);
      headers.set("host", `127.0.0.1:${TEST_PORT}`);
      return app.request(String(input), { ...init, headers }, fromLoopback);
    };
    const transport = httpTransport(
      new URL(`http://127.0.0.1:${TEST_PORT}/mcp`),
      token,
      through as typeof fetch,
    );
    const client = await connectClient(transport);
    expect((await client.listTools()).tools.map((t) => t.name)).toContain("list_peers");
    expect(resultJson(await client.callTool({ name: "list_peers", arguments: {} }))).toEqual({
      self: { node_id: "aaaaaaaaaaaaaaaa", name: "guarded" },
      peers: [],
    });
    await client.close();
  });
});

describe("/mcp on a real socket", () => {
  const pool = nodePool();
  const clients = clientPool();

  test("no token and a wrong token are 401, a foreign Origin 403, the token from the data dir works", async () => {
    const node = await pool.start();
    const url = mcpUrl(node.port);
    const send = (headers: Record<string, string>) =>
      fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          ...headers,
        },
        body: JSON.stringify(initialize),
      });
    const right = mcpToken(node.dataDir);
    expect((await send({})).status).toBe(401);
    expect((await send({ authorization: "Bearer not-the-token" })).status).toBe(401);
    expect((await send({ authorization: `Bearer ${right}`, origin: "https://evil.example" })).status).toBe(
      403,
    );
    const client = await clients.node(node);
    expect((await client.listTools()).tools).toHaveLength(6);
  });
});
