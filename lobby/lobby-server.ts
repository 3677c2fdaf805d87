import { randomBytes } from "node:crypto";
import type { Server } from "bun";
import { LOBBY_WS_PATH, type LobbyHealth, RELAY_BINARY_HEADER } from "../protocol/lobby.ts";
import { StartupError } from "../server/errors.ts";
import type { NodeIdentity } from "../server/identity/identity.ts";
import type { Logger } from "../server/log.ts";
import { WEFT_VERSION } from "../server/version.ts";
import { type Backplane, BackplaneUnavailableError } from "./backplane/backplane.ts";
import { MemoryBackplane } from "./backplane/memory-backplane.ts";
import { Connection } from "./connection.ts";
import { backplaneListener } from "./instances.ts";
import { type LobbyLimits, resolveLimits } from "./limits.ts";
import { LobbyCore, type LobbyCounters } from "./lobby-core.ts";
import { statusPage } from "./status-page.ts";
import { StunBindError, type StunResponder, startStunResponder } from "./stun-responder.ts";

/** How `startLobby` is told where to listen, who it is and how strict to be. */
export interface LobbyServerOptions {
  port: number;
  host: string;
  /** The lobby's own key: its node id is the `lobby_id` nodes pin. */
  identity: NodeIdentity;
  log: Logger;
  /** Overrides of the defaults in `lobby/limits.ts`. */
  limits?: Partial<LobbyLimits>;
  /**
   * Tells instances of one lobby apart in `/health`; a short random id when not given. With a
   * `backplane`, the backplane's own instance id is used instead.
   */
  instance?: string;
  /**
   * What this instance shares with the lobby's others (`lobby/backplane/`); by default a memory
   * backplane of its own, for a lobby of one instance. The lobby starts it, and stops it on `stop`.
   */
  backplane?: Backplane;
  version?: string;
  /**
   * The UDP port for STUN (`lobby/stun-responder.ts`): by default the number of the port the lobby
   * listens on, and then a port taken by something else only costs a warning; a port given here
   * must be bound or the lobby does not start; `null` answers no STUN at all.
   */
  stunPort?: number | null;
}

/** A lobby that is listening. */
export interface RunningLobby {
  /** `http://127.0.0.1:<port>` (or the bound host): `/health` and the status page. */
  url: string;
  /** `ws://…/lobby-ws`, where nodes connect. */
  wsUrl: string;
  port: number;
  lobbyId: string;
  health(): LobbyHealth;
  /** Where it answers STUN binding requests over UDP; undefined when it does not. */
  stunPort: number | undefined;
  /** What the lobby counted (relayed, dropped, refused…), for tests and benches. */
  counters(): Readonly<LobbyCounters>;
  /** Sends every socket `goodbye { reason }`, closes them with 1001 and stops listening. */
  stop(reason?: string): Promise<void>;
}

/** Room for a full relayed frame or text frame, and WebSocket framing around it. */
const PAYLOAD_MARGIN = 64 * 1024;
/** How long `stop` waits for sockets to take their goodbye before it cuts them. */
const STOP_GRACE_MS = 300;

/** Starts a lobby (docs/architecture.md, "The lobby"): `/lobby-ws`, `GET /health`, `GET /`. */
export async function startLobby(opts: LobbyServerOptions): Promise<RunningLobby> {
  const limits = resolveLimits(opts.limits);
  const version = opts.version ?? WEFT_VERSION;
  const backplane =
    opts.backplane ??
    new MemoryBackplane({
      instance: opts.instance ?? randomBytes(4).toString("hex"),
      presenceTtlMs: limits.presenceTtlMs,
      log: opts.log,
    });
  const instance = backplane.instance;
  const started = performance.now();
  let server: Server<Connection> | undefined;
  const core = new LobbyCore({
    identity: opts.identity,
    log: opts.log,
    limits,
    backplane,
    publish: (topic, text) => server?.publish(topic, text),
  });
  const perIp = new Map<string, number>();
  let sockets = 0;
  const release = (ip: string) => {
    sockets -= 1;
    const n = (perIp.get(ip) ?? 1) - 1;
    if (n <= 0) perIp.delete(ip);
    else perIp.set(ip, n);
  };

  const health = (): LobbyHealth => ({
    status: backplane.health(),
    version,
    lobby_id: core.lobbyId,
    instance,
    nodes: core.directory.size,
    rooms: core.rooms.size,
    uptime_s: Math.round((performance.now() - started) / 100) / 10,
    ...(core.stunPort === undefined ? {} : { stun_port: core.stunPort }),
  });

  const fetch = (req: Request, srv: Server<Connection>): Response | undefined => {
    let path: string;
    try {
      path = new URL(req.url).pathname;
    } catch {
      return Response.json({ error: "malformed request" }, { status: 400 });
    }
    if (path === LOBBY_WS_PATH) {
      if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
        return Response.json({ error: "expected a WebSocket upgrade" }, { status: 426 });
      }
      const ip = srv.requestIP(req)?.address ?? "unknown";
      const fromIp = perIp.get(ip) ?? 0;
      if (sockets >= limits.maxSockets || fromIp >= limits.socketsPerIp) {
        return Response.json({ error: "too many connections" }, { status: 503 });
      }
      sockets += 1;
      perIp.set(ip, fromIp + 1);
      if (srv.upgrade(req, { data: new Connection(core, ip) })) return undefined;
      release(ip);
      return Response.json({ error: "expected a WebSocket upgrade" }, { status: 426 });
    }
    if (path !== "/health" && path !== "/") return Response.json({ error: "not found" }, { status: 404 });
    if (req.method !== "GET" && req.method !== "HEAD") {
      return Response.json({ error: "method not allowed" }, { status: 405, headers: { allow: "GET, HEAD" } });
    }
    if (path === "/health") return Response.json(health(), { headers: { "cache-control": "no-store" } });
    return new Response(statusPage(health()), {
      headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
    });
  };

  const serve = (hostname: string) =>
    Bun.serve<Connection>({
      hostname,
      port: opts.port,
      development: false,
      // Without this, production mode shares the port with any other process that binds it,
      // so a second lobby on a taken port would start instead of being told the port is in use.
      reusePort: false,
      // Connections that never finish a request go within 10 s; the lobby takes no bodies.
      idleTimeout: 10,
      maxRequestBodySize: 64 * 1024,
      error(err) {
        opts.log.debug("lobby: request failed", { error: String(err) });
        return Response.json({ error: "internal error" }, { status: 500 });
      },
      fetch,
      websocket: {
        maxPayloadLength:
          Math.max(limits.textFrameBytes, limits.relayFrameBytes + RELAY_BINARY_HEADER) + PAYLOAD_MARGIN,
        // A socket that stops reading is closed at the cap instead of growing this process.
        backpressureLimit: limits.sendBufferBytes,
        closeOnBackpressureLimit: true,
        // The lobby's own heartbeat (`ping` frames, the silence limit) keeps time instead.
        idleTimeout: 0,
        sendPings: false,
        open: (ws) => ws.data.open(ws),
        message: (ws, raw) => ws.data.message(raw),
        ping: (ws) => ws.data.alive(),
        pong: (ws) => ws.data.alive(),
        close: (ws) => {
          release(ws.data.ip);
          ws.data.closed();
        },
        error: (err) => opts.log.debug("lobby: socket handler failed", { error: String(err) }),
      },
    });

  try {
    await backplane.start(backplaneListener(core));
  } catch (err) {
    // What could not be reached, in one line (the store's address, never its password).
    if (err instanceof BackplaneUnavailableError) throw new StartupError(err.message);
    throw err;
  }
  try {
    try {
      server = serve(opts.host);
    } catch (err) {
      // "::" fails on hosts with IPv6 disabled; all-interfaces IPv4 is the same intent there.
      if (opts.host !== "::" || (err as NodeJS.ErrnoException).code === "EADDRINUSE") throw err;
      server = serve("0.0.0.0");
    }
  } catch (err) {
    await backplane.stop();
    if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new StartupError(`port ${opts.port} is in use; pick another with --port`);
    }
    throw new StartupError(`cannot listen on ${opts.host}:${opts.port}: ${(err as Error).message}`);
  }
  const bound = server;
  const port = bound.port ?? opts.port;
  let stun: StunResponder | undefined;
  try {
    stun = await stunFor(opts, limits, port);
  } catch (err) {
    await bound.stop(true);
    await backplane.stop();
    throw err;
  }
  core.stunPort = stun?.port;

  const tick = Math.min(
    1_000,
    Math.max(5, Math.floor(Math.min(limits.registerTimeoutMs, limits.heartbeatMs, limits.silenceMs) / 4)),
  );
  const sweeper = setInterval(() => {
    try {
      core.sweep(performance.now());
    } catch (err) {
      opts.log.debug("lobby: sweep failed", { error: String(err) });
    }
  }, tick);
  sweeper.unref?.();

  const base = `${loopbackHost(opts.host)}:${port}`;
  let stopping: Promise<void> | undefined;
  return {
    url: `http://${base}`,
    wsUrl: `ws://${base}${LOBBY_WS_PATH}`,
    port,
    lobbyId: core.lobbyId,
    stunPort: stun?.port,
    health,
    counters: () => core.counters,
    stop(reason = "shutdown") {
      stopping ??= (async () => {
        clearInterval(sweeper);
        stun?.stop();
        core.shutdown(reason);
        const deadline = performance.now() + STOP_GRACE_MS;
        while (core.connections.size > 0 && performance.now() < deadline) await Bun.sleep(10);
        await bound.stop(true);
        // This instance's nodes leave every other instance's directory now, not at their lease's end.
        await backplane.stop();
      })();
      return stopping;
    },
  };
}

/** Starts the STUN responder `opts.stunPort` asks for, beside a lobby listening on `port`. */
async function stunFor(
  opts: LobbyServerOptions,
  limits: LobbyLimits,
  port: number,
): Promise<StunResponder | undefined> {
  if (opts.stunPort === null) return undefined;
  const start = (host: string) =>
    startStunResponder({
      host,
      port: opts.stunPort ?? port,
      log: opts.log,
      perSourcePerSec: limits.stunPerSourcePerSec,
      totalPerSec: limits.stunPerSec,
    });
  try {
    try {
      return await start(opts.host);
    } catch (err) {
      // As for the listener: "::" fails where IPv6 is off, and all-interfaces IPv4 means the same.
      if (opts.host !== "::") throw err;
      return await start("0.0.0.0");
    }
  } catch (err) {
    if (!(err instanceof StunBindError)) throw err;
    if (opts.stunPort !== undefined) {
      throw new StartupError(`cannot answer STUN: ${err.message}; pick another with --stun-port`);
    }
    opts.log.warn("not answering STUN: nodes need network.stunServer for WebRTC through NAT", {
      reason: err.message,
    });
    return undefined;
  }
}

/** Where a client on this machine reaches a lobby bound to `host`. */
function loopbackHost(host: string): string {
  if (host === "::" || host === "0.0.0.0" || host === "localhost" || host === "") return "127.0.0.1";
  return host.includes(":") ? `[${host}]` : host;
}
