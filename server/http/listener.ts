import type { Server, ServerWebSocket } from "bun";
import type { Hono } from "hono";
import { StartupError } from "../errors.ts";
import type { PeerHub } from "../fabric/peer-hub.ts";
import type { PendingHandshakes, PendingSlot } from "../fabric/transports/pending-handshakes.ts";
import { InboundWebSocketLink, TRY_AGAIN_LATER } from "../fabric/transports/websocket-transport.ts";
import type { Logger } from "../log.ts";
import { HARD_MAX_BODY_BYTES } from "../settings/http-settings.ts";
import type { BrowserHub, BrowserSocket } from "../ws/browser-hub.ts";
import type { HttpEnv } from "./context.ts";
import { checkLocalRequest } from "./local-guard.ts";
import { errorResponse, internalError, malformedRequest, throttledWarn } from "./request-edge.ts";

type SocketData =
  | { kind: "browser"; socket?: BrowserSocket }
  | { kind: "peer"; link?: InboundWebSocketLink; slot: PendingSlot };

/** Largest frame Bun accepts on any socket; the peer pipeline enforces the (smaller) setting. */
const MAX_SOCKET_PAYLOAD = 16 * 1024 * 1024 + 64 * 1024;

export interface ListenOptions {
  host: string;
  port: number;
  /** Try the next ports when `port` is taken (only for the default port, never one the user chose). */
  fallback: boolean;
  app: Hono<HttpEnv>;
  browsers: BrowserHub;
  peers: PeerHub;
  /** Whether `/peer-ws` accepts links now (the `network.enableDirect` setting). */
  acceptPeers: () => boolean;
  /** Caps the `/peer-ws` sockets still in their handshake (the `network.maxPendingHandshakes*` settings). */
  pendingHandshakes: PendingHandshakes;
  log: Logger;
}

const PORT_ATTEMPTS = 20;

/**
 * Binds one Bun server for the UI, `/api`, `/ws` and (later) `/peer-ws`, and adapts Bun's sockets
 * to the hub's `BrowserSocket`. Returns the server; its `port` is the one actually bound.
 */
export function listen(opts: ListenOptions): Server<SocketData> {
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
function serveDualStack(opts: ListenOptions, port: number): Server<SocketData> {
  try {
    return serve(opts, port);
  } catch (err) {
    if (opts.host !== "::" || (err as NodeJS.ErrnoException).code === "EADDRINUSE") throw err;
    return serve({ ...opts, host: "0.0.0.0" }, port);
  }
}

function serve(opts: ListenOptions, port: number): Server<SocketData> {
  const { app, browsers } = opts;
  const warnRefused = throttledWarn(opts.log);
  return Bun.serve<SocketData>({
    hostname: opts.host,
    port,
    // A connection that sends no complete request goes within 10 s: a flood of silent TCP
    // connections cannot hold the process's file descriptors for long.
    idleTimeout: 10,
    // Development mode answers a thrown error with a page of stack, paths and source; never here.
    development: false,
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
      const url = new URL(req.url);
      if (url.pathname === "/ws") {
        const verdict = checkLocalRequest({
          path: url.pathname,
          method: req.method,
          remoteAddress,
          host: req.headers.get("host"),
          origin: req.headers.get("origin"),
          port: server.port ?? port,
          isUpgrade: true,
        });
        if (!verdict.ok) {
          warnRefused("refused /ws upgrade", { from: remoteAddress, reason: verdict.reason.slice(0, 200) });
          return Response.json({ error: verdict.reason }, { status: 403 });
        }
        if (server.upgrade(req, { data: { kind: "browser" } })) return undefined;
        return Response.json({ error: "expected a WebSocket upgrade" }, { status: 426 });
      }
      if (url.pathname === "/peer-ws" && req.headers.get("upgrade")?.toLowerCase() === "websocket") {
        if (!opts.acceptPeers())
          return Response.json({ error: "this node does not accept direct links" }, { status: 503 });
        // Refused before the upgrade, and the connection closed, so a flood holds no descriptor.
        const slot = opts.pendingHandshakes.reserve(remoteAddress);
        if (typeof slot === "string")
          return Response.json(
            { error: slot },
            { status: 503, headers: { connection: "close", "retry-after": "10" } },
          );
        if (server.upgrade(req, { data: { kind: "peer", slot } })) return undefined;
        slot.release();
        return Response.json({ error: "expected a WebSocket upgrade" }, { status: 426 });
      }
      return app.fetch(req, { remoteAddress });
    },
    websocket: {
      // Browser frames are capped by the hub at MAX_BROWSER_FRAME_BYTES, peer frames by the setting.
      maxPayloadLength: MAX_SOCKET_PAYLOAD,
      // Tabs and peers stay quiet for long stretches; Bun's pings keep a live one open.
      idleTimeout: 60,
      sendPings: true,
      open(ws) {
        const data = ws.data;
        if (data.kind === "browser") {
          data.socket = adapt(ws);
          browsers.open(data.socket);
        } else {
          const link = new InboundWebSocketLink(ws);
          data.link = link;
          data.slot.onEvict(() => link.close(TRY_AGAIN_LATER, "too many handshakes in progress"));
          // accept() settles once the handshake succeeded or failed (it has its own timeout).
          void opts.peers.accept(link).finally(() => data.slot.release());
        }
      },
      message(ws, raw) {
        const data = ws.data;
        if (data.kind === "browser") {
          if (data.socket) void browsers.message(data.socket, raw);
        } else data.link?.received(raw); // a Buffer is a Uint8Array: no copy per frame
      },
      close(ws, code, reason) {
        const data = ws.data;
        if (data.kind === "browser") {
          if (data.socket) browsers.close(data.socket);
        } else {
          data.slot.release();
          data.link?.ended(code, reason);
        }
      },
    },
  });
}

function adapt(ws: ServerWebSocket<SocketData>): BrowserSocket {
  return {
    send: (text) => {
      ws.send(text);
    },
    close: (code, reason) => ws.close(code, reason),
  };
}
