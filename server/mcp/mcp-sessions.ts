import { randomUUID } from "node:crypto";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../log.ts";

/** How many MCP sessions may be open at once, and how long one may sit unused before it is closed. */
export interface McpSessionLimits {
  maxSessions: number;
  idleMs: number;
}

export const DEFAULT_SESSION_LIMITS: McpSessionLimits = { maxSessions: 16, idleMs: 30 * 60_000 };

/**
 * SSE keep-alive comments, more often than the listener's 10 s idle timeout (server/http/listener.ts)
 * so a stream waiting on a slow answer, or a session's open GET stream, is not cut.
 */
const KEEP_ALIVE_MS = 5_000;

interface Session {
  transport: WebStandardStreamableHTTPServerTransport;
  server: McpServer;
  lastUsed: number;
}

/**
 * The `/mcp` sessions: one SDK server and Streamable HTTP transport per session (stateful, so a
 * tool call can stream progress and a client may hold its GET stream). Bounded: at most
 * `maxSessions`, a new one refused while all are in use, and one unused for `idleMs` (no request,
 * nothing sent) closed. A request reaches here only after the route checked its token.
 */
export class McpSessions {
  readonly #sessions = new Map<string, Session>();
  readonly #createServer: () => McpServer;
  readonly #limits: McpSessionLimits;
  readonly #log: Logger;
  readonly #sweep: ReturnType<typeof setInterval>;
  #closed = false;

  constructor(createServer: () => McpServer, log: Logger, limits: McpSessionLimits = DEFAULT_SESSION_LIMITS) {
    this.#createServer = createServer;
    this.#limits = limits;
    this.#log = log;
    this.#sweep = setInterval(() => this.#closeIdle(), Math.max(1_000, Math.min(limits.idleMs / 4, 60_000)));
    this.#sweep.unref?.();
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** Answers one request to `/mcp`; `body` is its parsed JSON (the body guard has read the stream). */
  async handle(req: Request, body: unknown): Promise<Response> {
    if (this.#closed) return rpcError(503, "the node is stopping");
    const id = req.headers.get("mcp-session-id");
    if (id !== null) {
      const session = this.#sessions.get(id);
      // 404 tells a client to start a new session (the MCP transport's rule).
      if (!session) return rpcError(404, "Session not found", -32001);
      session.lastUsed = Date.now();
      return session.transport.handleRequest(req, { parsedBody: body });
    }
    if (req.method !== "POST" || !isInitializeRequest(body)) {
      return rpcError(400, "Bad Request: no Mcp-Session-Id; a session starts with an initialize request");
    }
    this.#closeIdle();
    if (this.#sessions.size >= this.#limits.maxSessions) {
      return rpcError(503, `too many MCP sessions (at most ${this.#limits.maxSessions}); close one first`);
    }
    return this.#open().transport.handleRequest(req, { parsedBody: body });
  }

  #open(): Session {
    const server = this.#createServer();
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      keepAliveMs: KEEP_ALIVE_MS,
      onsessioninitialized: (sid) => {
        this.#sessions.set(sid, session);
      },
    });
    const session: Session = { transport, server, lastUsed: Date.now() };
    transport.onclose = () => {
      if (transport.sessionId) this.#sessions.delete(transport.sessionId);
    };
    // Connecting only wires handlers up (the transport's start does nothing): it is done at once.
    void server.connect(transport);
    // What the session sends (progress, results) is use too: a long answer keeps it open.
    const send = transport.send.bind(transport);
    transport.send = (message, options) => {
      session.lastUsed = Date.now();
      return send(message, options);
    };
    return session;
  }

  #closeIdle(): void {
    const now = Date.now();
    for (const [id, s] of this.#sessions) {
      if (now - s.lastUsed < this.#limits.idleMs) continue;
      this.#log.info("closing an idle MCP session", { idle_s: Math.round((now - s.lastUsed) / 1000) });
      this.#sessions.delete(id);
      void s.server.close().catch(() => {});
    }
  }

  /** Closes every session; later requests are refused. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweep);
    const all = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.all(all.map((s) => s.server.close().catch(() => {})));
  }
}

/** A JSON-RPC error answer outside any session, shaped as the SDK's transport answers its own. */
function rpcError(status: number, message: string, code = -32000): Response {
  return Response.json({ jsonrpc: "2.0", error: { code, message }, id: null }, { status });
}
