import type { Server } from "bun";
import type { Hono } from "hono";
import { StartupError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { HARD_MAX_BODY_BYTES } from "../settings/http-settings.ts";
import type { SocketEndpoint, SocketSession } from "../wire/socket-endpoint.ts";
import type { HttpEnv } from "./context.ts";
import { errorResponse, internalError, malformedRequest } from "./request-edge.ts";

/** Largest frame Bun accepts on any socket; each endpoint enforces its own (smaller) limit. */
const MAX_SOCKET_PAYLOAD = 16 * 1024 * 1024 + 64 * 1024;

export interface ListenOptions {
  host: string;
  port: number;
  /** Try the next ports when `port` is taken (only for the default port, never one the user chose). */
  fallback: boolean;
  /** Answers every request that no socket endpoint takes. */
  app: Hono<HttpEnv>;
  /** The WebSocket routes: `/ws` for tabs, the transports' `/peer-ws`; a lobby brings its own. */
  endpoints: SocketEndpoint[];
  log: Logger;
}

const PORT_ATTEMPTS = 20;

/**
 * Binds one Bun server: a table of WebSocket endpoints by path beside an HTTP app, behind one edge
 * (malformed requests are 400, errors a short 500). Returns the server; its `port` is the one
 * actually bound.
 */
export function listen(opts: ListenOptions): Server<SocketSession> {
  const last = opts.fallback && opts.port !== 0 ? Math.min(opts.port + PORT_ATTEMPTS - 1, 65535) : opts.port;
  for (let port = opts.port; port <= last; port++) {
    try {
      return serveDualStack(opts, port);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "EADDRINUSE") {
        throw new StartupError(`cannot listen on ${opts.host}:${port}: ${(err as Error).message}`);
      }
      if (port === last) {
        throw new StartupError(
          opts.fallback
            ? `ports ${opts.port}-${last} are all in use; pick one with --port`
            : `port ${port} is in use; pick another with --port`,
        );
      }
      opts.log.info(`port ${port} is in use, trying ${port + 1}`);
    }
  }
  throw new StartupError(`cannot listen on port ${opts.port}`);
}

/** "::" fails on hosts with IPv6 disabled; all-interfaces IPv4 is the same intent there. */
function serveDualStack(opts: ListenOptions, port: number): Server<SocketSession> {
  try {
    return serve(opts, port);
  } catch (err) {
    if (opts.host !== "::" || (err as NodeJS.ErrnoException).code === "EADDRINUSE") throw err;
    return serve({ ...opts, host: "0.0.0.0" }, port);
  }
}

function serve(opts: ListenOptions, port: number): Server<SocketSession> {
  const { app } = opts;
  const endpoints = new Map(opts.endpoints.map((e) => [e.path, e]));
  return Bun.serve<SocketSession>({
    hostname: opts.host,
    port,
    // A connection that sends no complete request goes within 10 s: a flood of silent TCP
    // connections cannot hold the process's file descriptors for long.
    idleTimeout: 10,
    // Development mode answers a thrown error with a page of stack, paths and source; never here.
    development: false,
    // Without this a second process may bind the same port (SO_REUSEPORT), so a taken port would
    // never fall through to the next free one and two nodes would split the traffic.
    reusePort: false,
    // The app enforces the `http.maxBodyBytes` setting; Bun holds the ceiling the setting may reach.
    maxRequestBodySize: HARD_MAX_BODY_BYTES,
    error(err) {
      return internalError(err, opts.log);
    },
    fetch(req, server) {
      // Before anything parses it: `Host: a, b` or `Host: x@y` leaves Bun a URL that does not parse.
      const malformed = malformedRequest(req.url, req.headers.get("host"));
      if (malformed) return errorResponse(400, malformed);
      const remoteAddress = server.requestIP(req)?.address;
      const endpoint = endpoints.get(new URL(req.url).pathname);
      const verdict = endpoint?.upgrade(req, { remoteAddress, port: server.port ?? port });
      if (verdict instanceof Response) return verdict;
      if (verdict) {
        if (server.upgrade(req, { data: verdict })) return undefined;
        verdict.abandoned?.();
        return Response.json({ error: "expected a WebSocket upgrade" }, { status: 426 });
      }
      return app.fetch(req, { remoteAddress, waitLonger: (seconds: number) => server.timeout(req, seconds) });
    },
    websocket: {
      maxPayloadLength: MAX_SOCKET_PAYLOAD,
      // Tabs and peers stay quiet for long stretches; Bun's pings keep a live one open.
      idleTimeout: 60,
      sendPings: true,
      open: (ws) => ws.data.open(ws),
      message: (ws, raw) => ws.data.message(raw),
      close: (ws, code, reason) => ws.data.close(code, reason),
    },
  });
}
