import { Hono } from "hono";
import type { McpClientConfig, McpInfo } from "../../protocol/mcp.ts";
import type { ApiError } from "../../protocol/rest.ts";
import type { HttpEnv } from "../http/context.ts";
import { localHosts } from "../http/local-guard.ts";
import { throttledWarn } from "../http/request-edge.ts";
import type { Logger } from "../log.ts";
import type { McpSessions } from "./mcp-sessions.ts";
import { tokenMatches } from "./mcp-token.ts";

export interface McpRouteDeps {
  token: string;
  /** The port the node bound; known once it listens. */
  port(): number;
  sessions: McpSessions;
  log: Logger;
}

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

/**
 * `/mcp`, behind the local guard (loopback, Host) like everything but `/peer-ws`. MCP clients are
 * not browsers and send no Origin, so none is fine; but a present one that is not this node's own
 * is a web page trying its luck and is refused, as `/api` refuses it. Then the bearer token, on
 * every request (sessions are not credentials), compared in constant time.
 */
export function mcpRoutes(d: McpRouteDeps): Hono<HttpEnv> {
  const warnRefused = throttledWarn(d.log);
  return new Hono<HttpEnv>().all("/", async (c) => {
    const origin = c.req.header("origin");
    if (origin !== undefined && !localHosts(d.port()).some((h) => origin === `http://${h}`)) {
      warnRefused("refused MCP request", { reason: "foreign Origin", origin: origin.slice(0, 200) });
      return c.json(
        { error: `cross-origin request from ${origin.slice(0, 200)} refused` } satisfies ApiError,
        403,
      );
    }
    const given = BEARER.exec(c.req.header("authorization") ?? "")?.[1];
    if (given === undefined || !tokenMatches(given, d.token)) {
      // Never the token, nor what was sent in its place.
      warnRefused("refused MCP request", { reason: given === undefined ? "no bearer token" : "wrong token" });
      c.header(
        "WWW-Authenticate",
        given === undefined ? 'Bearer realm="weft"' : 'Bearer realm="weft", error="invalid_token"',
      );
      return c.json(
        {
          error:
            given === undefined
              ? "an Authorization: Bearer <token> header is required (the token is in the data dir's mcp-token)"
              : "wrong MCP token",
        } satisfies ApiError,
        401,
      );
    }
    // The body guard has read and checked the body already; the transport gets it parsed.
    const text = c.req.method === "POST" ? await c.req.text() : "";
    if (c.req.method === "POST" && text.trim() === "") {
      return c.json(
        { jsonrpc: "2.0", error: { code: -32700, message: "Parse error: empty body" }, id: null },
        400,
      );
    }
    return d.sessions.handle(c.req.raw, text === "" ? undefined : JSON.parse(text));
  });
}

/** The command that starts this weft: the binary itself, or `weft` when run from source. */
function weftCommand(isCompiled: boolean): string {
  return isCompiled ? process.execPath : "weft";
}

/** `GET /api/mcp`: the endpoint, the token and configurations to paste into an MCP client. */
export function mcpInfoRoutes(d: {
  token: string;
  url(): string;
  dataDir: string;
  isCompiled: boolean;
}): Hono<HttpEnv> {
  return new Hono<HttpEnv>().get("/", (c) => {
    const url = d.url();
    const command = weftCommand(d.isCompiled);
    const args = ["mcp", "--data-dir", d.dataDir];
    const http: McpClientConfig = {
      mcpServers: { weft: { type: "http", url, headers: { Authorization: `Bearer ${d.token}` } } },
    };
    const stdio: McpClientConfig = { mcpServers: { weft: { type: "stdio", command, args } } };
    c.header("Cache-Control", "no-store");
    return c.json({
      url,
      token: d.token,
      client_config: http,
      stdio_command: [command, ...args].map(shellWord).join(" "),
      stdio_config: stdio,
    } satisfies McpInfo);
  });
}

/** A word as a POSIX shell reads it back unchanged. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
