import { afterEach } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

/** The node's token as a client configured from the data dir would read it. */
export function mcpToken(dataDir: string): string {
  return readFileSync(join(dataDir, "mcp-token"), "utf8").trim();
}

/** The MCP endpoint of a node listening on loopback `port`. */
export function mcpUrl(port: number): URL {
  return new URL(`http://127.0.0.1:${port}/mcp`);
}

/** A Streamable HTTP transport with the bearer token, over real sockets unless `fetch` says otherwise. */
export function httpTransport(url: URL, token: string, fetch?: typeof globalThis.fetch): Transport {
  return new StreamableHTTPClientTransport(url, {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
    ...(fetch ? { fetch } : {}),
  });
}

/** The SDK's own Client, connected over `transport`. */
export async function connectClient(transport: Transport): Promise<Client> {
  const client = new Client({ name: "weft-tests", version: "1.0.0" });
  await client.connect(transport);
  return client;
}

/** MCP clients of one test file, closed after each test (before its nodes stop). */
export function clientPool() {
  const open: Client[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close().catch(() => {})));
  });
  return {
    async connect(transport: Transport): Promise<Client> {
      const client = await connectClient(transport);
      open.push(client);
      return client;
    },
    /** A client of the in-process node on `port` whose data dir is `dataDir`. */
    node(node: { port: number; dataDir: string }): Promise<Client> {
      return this.connect(httpTransport(mcpUrl(node.port), mcpToken(node.dataDir)));
    },
  };
}

/** The one text part of a tool result. */
export function resultText(result: unknown): string {
  const content = (result as CallToolResult).content;
  const first = content[0];
  if (content.length !== 1 || first?.type !== "text")
    throw new Error(`expected one text part: ${JSON.stringify(result)}`);
  return first.text;
}

/** A successful tool result's JSON; throws with the tool's sentence when it was an error. */
export function resultJson<T = Record<string, unknown>>(result: unknown): T {
  if ((result as CallToolResult).isError) throw new Error(`tool error: ${resultText(result)}`);
  return JSON.parse(resultText(result)) as T;
}
