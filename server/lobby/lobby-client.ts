import {
  type LobbyClientMessage,
  type LobbyServerMessage,
  type LobbyServerOf,
  lobbyServerMessage,
} from "../../protocol/lobby.ts";
import type { LobbyStatus } from "../../protocol/lobby-channel.ts";
import type { NodeIdentity } from "../identity/identity.ts";
import type { Logger } from "../log.ts";
import { parseGuardedJson } from "../wire/json-guard.ts";
import { Backoff } from "./backoff.ts";
import { LobbyAddresses } from "./lobby-addresses.ts";
import { closeText, errorText, goodbyeText, isShutdown, unreachableText } from "./lobby-close-reasons.ts";
import { boundedProfile, type LobbyProfile, registerMessage } from "./lobby-register.ts";
import { parseLobbyUrls } from "./lobby-url.ts";

export { LobbyUrlError, normaliseLobbyUrl, parseLobbyUrls } from "./lobby-url.ts";

/** What the lobby client needs of the node; read at each registration and `announce`. */
export interface LobbyClientDeps {
  identity: NodeIdentity;
  log: Logger;
  nodeName(): string;
  /** Where this node can be dialed directly; the lobby tells them only to the other end of a join. */
  addresses(): string[];
  /** Whether the lobby lists this node in its directory (`network.lobbyListed`). */
  listed(): boolean;
  capabilities(): string[];
  /** Reconnect backoff; defaults 1 s doubling to 30 s, ±30 % jitter. Tests pass small values. */
  backoff?: { baseMs: number; maxMs: number };
  /** Heartbeat; defaults: a ping every 25 s, a socket silent for 60 s is dead. Tests pass small values. */
  heartbeat?: { pingMs: number; deadMs: number };
}

/** A STUN server's host (a name or an address, without brackets) and UDP port. */
export interface StunAddress {
  hostname: string;
  port: number;
}

/** The STUN address on the host of lobby URL `url`; undefined if the URL has none. */
function stunAt(url: string, port: number): StunAddress | undefined {
  try {
    const hostname = new URL(url).hostname.replace(/^\[|\]$/g, "");
    return hostname ? { hostname, port } : undefined;
  } catch {
    return undefined;
  }
}

/** Where the lobby socket is, as the Lobby pane shows it (protocol/lobby-channel.ts). */
export interface LobbyConnectionState {
  status: LobbyStatus;
  /** The normalised `/lobby-ws` URL in use (or tried next), or "" before any `connect`. */
  url: string;
  /** Every address given to `connect`, normalised, in the order they are tried. */
  urls: readonly string[];
  /** The lobby's id from its challenge; null until registered once. */
  lobbyId: string | null;
  /** Why the last attempt ended, while `retrying`. */
  error: string | null;
  /** When the next attempt starts (ms since the epoch), while `retrying`. */
  retryAt: number | null;
}

/** What the client tells those who use it. Listener errors are logged, never thrown back. */
export interface LobbyClientEvents {
  state(state: LobbyConnectionState): void;
  /** Each time registration succeeds (first connect and every reconnect): re-create rooms here. */
  registered(msg: LobbyServerOf<"registered">): void;
  /** Every parsed frame from the lobby after registration (relay frames too). */
  message(msg: LobbyServerMessage): void;
  /** Registration ended (socket closed, replaced, lobby shut down); a retry follows unless disconnected. */
  down(reason: string): void;
}

/**
 * Past this much unsent data the socket counts as congested, and sends are refused (a relayed
 * link that cannot send then closes, saying so). Relayed links share this one socket, and a
 * window of frames in flight on each may sit here while the lobby forwards them, as a direct link
 * buffers in its own socket: 32 MiB holds tens of thousands of sealed 1 KiB frames, so a fast
 * sender is slowed by its window, not cut. The lobby ends a relayed link whose receiver falls
 * behind long before this fills; past it, the lobby itself is not keeping up.
 */
export const CONGESTED_BYTES = 32 * 1024 * 1024;
/** The lobby closes a socket that has not registered within 10 s; this side waits a little longer. */
const REGISTER_TIMEOUT_MS = 15_000;
/** The nesting a lobby frame may have (the peer wire's bound; `signal.data` is the deepest part). */
const MAX_JSON_DEPTH = 32;
/** A registration that held this long resets the backoff. */
const STABLE_MS = 10_000;

/** One socket attempt; events of a superseded one are ignored. */
interface Attempt {
  ws: WebSocket;
  registered: boolean;
  registeredAt: number;
  /** The id its challenge named. */
  lobbyId: string | null;
  /** Why it ended, when a frame said so before the close (goodbye, error) or the open failed. */
  why: string | undefined;
  /** The lobby there said it is shutting down: the next attempt goes to the next address. */
  moveOn: boolean;
  /** Where that lobby answers STUN, as its `registered` said; undefined if it does not. */
  stun: StunAddress | undefined;
  lastFrameAt: number;
  lastPingAt: number;
  timers: Array<ReturnType<typeof setTimeout>>;
}

/**
 * The node's one socket to its lobby (docs/architecture.md, "The lobby"): registers by signing
 * the lobby's challenge, keeps the socket alive with pings, reconnects with backoff and jitter,
 * and hands every frame after registration to its listeners (the lobby feature, the relay).
 */
export class LobbyClient {
  readonly #deps: LobbyClientDeps;
  readonly #backoff: Backoff;
  readonly #pingMs: number;
  readonly #deadMs: number;
  readonly #listeners = new Set<Partial<LobbyClientEvents>>();
  readonly #binaryListeners = new Set<(bytes: Uint8Array) => void>();
  readonly #spreadMs: number;
  #state: LobbyConnectionState = {
    status: "off",
    url: "",
    urls: [],
    lobbyId: null,
    error: null,
    retryAt: null,
  };
  #addresses: LobbyAddresses | undefined;
  #attempt: Attempt | undefined;
  #retry: ReturnType<typeof setTimeout> | undefined;

  constructor(deps: LobbyClientDeps) {
    this.#deps = deps;
    const backoff = deps.backoff ?? { baseMs: 1_000, maxMs: 30_000 };
    this.#backoff = new Backoff(backoff);
    this.#spreadMs = backoff.baseMs;
    this.#pingMs = deps.heartbeat?.pingMs ?? 25_000;
    this.#deadMs = deps.heartbeat?.deadMs ?? 60_000;
  }

  get state(): LobbyConnectionState {
    return { ...this.#state };
  }

  get registered(): boolean {
    return this.#attempt?.registered === true;
  }

  /**
   * The STUN server of the lobby this node is registered with: the host it dialed, at the UDP
   * port the lobby named. Undefined while not registered, or when that lobby answers no STUN.
   */
  get stunServer(): StunAddress | undefined {
    const a = this.#attempt;
    return a?.registered ? a.stun : undefined;
  }

  /** Registered, but with more than `CONGESTED_BYTES` unsent: sends are refused until it drains. */
  get congested(): boolean {
    const a = this.#attempt;
    return (
      a?.registered === true && a.ws.readyState === WebSocket.OPEN && a.ws.bufferedAmount > CONGESTED_BYTES
    );
  }

  /**
   * Normalises `url` (throws `LobbyUrlError`) and connects, replacing any current connection.
   * `url` may list several instances of one lobby, separated by commas or spaces: they are tried
   * in order, the next when one cannot be reached (`LobbyAddresses`).
   */
  connect(url: string): void {
    const urls = parseLobbyUrls(url);
    this.#end("the lobby address changed", 1000);
    this.#backoff.reset();
    this.#addresses = new LobbyAddresses(urls, this.#backoff, this.#spreadMs);
    this.#setState({ url: this.#addresses.current, urls, lobbyId: null });
    this.#open();
  }

  /** Closes the socket and stops retrying; status `off`. */
  disconnect(): void {
    this.#end("disconnected", 1000);
    if (this.#state.status !== "off") this.#setState({ status: "off", error: null, retryAt: null });
  }

  /** The same as `disconnect`, for the node's shutdown; idempotent. */
  stop(): void {
    this.disconnect();
  }

  /**
   * Sends when registered and not congested; returns false (and sends nothing) otherwise. A
   * `relay_end` goes even when congested: it is small, and it is what stops a link's traffic.
   */
  send(msg: LobbyClientMessage): boolean {
    const ws = this.#ready(msg.type === "relay_end");
    if (!ws) return false;
    try {
      ws.send(JSON.stringify(msg));
      return true;
    } catch (err) {
      this.#deps.log.debug("lobby send failed", { error: (err as Error).message });
      return false;
    }
  }

  sendBinary(bytes: Uint8Array): boolean {
    const ws = this.#ready();
    if (!ws) return false;
    try {
      ws.send(bytes as Uint8Array<ArrayBuffer>);
      return true;
    } catch (err) {
      this.#deps.log.debug("lobby send failed", { error: (err as Error).message });
      return false;
    }
  }

  /** Binary frames from the lobby (relayed peer frames), after registration. */
  onBinary(listener: (bytes: Uint8Array) => void): () => void {
    this.#binaryListeners.add(listener);
    return () => this.#binaryListeners.delete(listener);
  }

  on(listener: Partial<LobbyClientEvents>): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Tells the lobby the node's current name, addresses and listing (`update`). */
  announce(): void {
    this.send({ type: "update", ...this.#profile() });
  }

  #ready(evenCongested = false): WebSocket | undefined {
    const a = this.#attempt;
    if (!a?.registered || a.ws.readyState !== WebSocket.OPEN) return undefined;
    return !evenCongested && a.ws.bufferedAmount > CONGESTED_BYTES ? undefined : a.ws;
  }

  #profile(): LobbyProfile {
    const d = this.#deps;
    return boundedProfile(d.nodeName(), d.addresses(), d.listed());
  }

  #open(): void {
    const url = this.#addresses?.current ?? this.#state.url;
    this.#setState({ status: "connecting", url, error: null, retryAt: null });
    let ws: WebSocket;
    try {
      ws = new WebSocket(url);
    } catch (err) {
      this.#scheduleRetry(`cannot reach ${url}: ${(err as Error).message}`, true);
      return;
    }
    ws.binaryType = "arraybuffer";
    const now = Date.now();
    const a: Attempt = {
      ws,
      registered: false,
      registeredAt: 0,
      lobbyId: null,
      why: undefined,
      moveOn: false,
      stun: undefined,
      lastFrameAt: now,
      lastPingAt: now,
      timers: [],
    };
    this.#attempt = a;
    a.timers.push(
      setTimeout(() => {
        if (this.#attempt !== a || a.registered) return;
        a.why = `no registration with ${url} within ${seconds(REGISTER_TIMEOUT_MS)}`;
        ws.close(4000, "registration timed out");
      }, REGISTER_TIMEOUT_MS),
    );
    ws.addEventListener("error", (e) => {
      if (this.#attempt === a && ws.readyState !== WebSocket.OPEN && a.why === undefined) {
        a.why = unreachableText(url, e);
      }
    });
    ws.addEventListener("message", (e) => {
      if (this.#attempt !== a) return;
      a.lastFrameAt = Date.now();
      if (typeof e.data === "string") this.#onText(a, e.data);
      else if (a.registered && e.data instanceof ArrayBuffer) {
        const bytes = new Uint8Array(e.data);
        for (const listener of this.#binaryListeners) this.#call(() => listener(bytes));
      }
    });
    ws.addEventListener("close", (e) => {
      if (this.#attempt !== a) return;
      this.#attempt = undefined;
      for (const t of a.timers) clearTimeout(t);
      const why = a.why ?? closeText(e.code, e.reason, a.registered);
      if (a.registered) {
        if (Date.now() - a.registeredAt > STABLE_MS) this.#backoff.reset();
        this.#emit("down", why);
      }
      this.#scheduleRetry(why, !a.registered || a.moveOn);
    });
  }

  #onText(a: Attempt, text: string): void {
    let value: unknown;
    try {
      value = parseGuardedJson(text, MAX_JSON_DEPTH);
    } catch (err) {
      this.#deps.log.debug("lobby frame dropped", { error: (err as Error).message });
      return;
    }
    const result = lobbyServerMessage.safeParse(value);
    if (!result.success) {
      this.#deps.log.debug("lobby frame dropped", { error: result.error.issues[0]?.message });
      return;
    }
    const parsed = result.data;
    switch (parsed.type) {
      case "challenge":
        if (a.lobbyId === null) this.#register(a, parsed);
        return;
      case "registered":
        if (a.lobbyId !== null && !a.registered) this.#registered(a, parsed);
        return;
      case "ping":
        this.#sendRaw(a, { type: "pong" });
        break;
      case "goodbye":
        a.why = goodbyeText(parsed);
        a.moveOn = isShutdown(parsed);
        break;
      case "error":
        if (!a.registered || parsed.code === "replaced") a.why = errorText(parsed, a.registered);
        break;
      default:
        break;
    }
    if (a.registered) this.#emit("message", parsed);
  }

  #register(a: Attempt, challenge: LobbyServerOf<"challenge">): void {
    a.lobbyId = challenge.lobby_id;
    const { identity, capabilities } = this.#deps;
    this.#sendRaw(a, registerMessage(identity, challenge, this.#profile(), capabilities()));
  }

  #registered(a: Attempt, msg: LobbyServerOf<"registered">): void {
    a.registered = true;
    a.registeredAt = Date.now();
    a.why = undefined;
    a.stun = msg.stun_port === undefined ? undefined : stunAt(this.#state.url, msg.stun_port);
    this.#addresses?.registered();
    const tick = Math.max(10, Math.min(5_000, this.#pingMs, this.#deadMs / 4));
    a.timers.push(setInterval(() => this.#heartbeat(a), tick));
    this.#setState({ status: "connected", lobbyId: a.lobbyId, error: null, retryAt: null });
    this.#deps.log.info("registered with the lobby", { url: this.#state.url, lobby_id: a.lobbyId });
    this.#emit("registered", msg);
  }

  #heartbeat(a: Attempt): void {
    if (this.#attempt !== a) return;
    const now = Date.now();
    if (now - a.lastFrameAt > this.#deadMs) {
      a.why = `lobby closed: nothing heard from it in ${seconds(this.#deadMs)}`;
      a.ws.close(4000, "silent too long");
      return;
    }
    if (now - a.lastPingAt >= this.#pingMs) {
      a.lastPingAt = now;
      this.#sendRaw(a, { type: "ping" });
    }
  }

  /** Sends on an attempt whether or not it is registered (the handshake and heartbeat). */
  #sendRaw(a: Attempt, msg: LobbyClientMessage): void {
    try {
      a.ws.send(JSON.stringify(msg));
    } catch {
      // The close event that follows a failed send reports it.
    }
  }

  /** `moveOn`: the attempt failed or its lobby is going, so the next address is tried. */
  #scheduleRetry(why: string, moveOn: boolean): void {
    const delay = this.#addresses ? this.#addresses.next(moveOn) : this.#backoff.next();
    this.#deps.log.debug("lobby connection down; retrying", { why, in_ms: delay });
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.#open();
    }, delay);
    const url = this.#addresses?.current ?? this.#state.url;
    this.#setState({ status: "retrying", url, error: why, retryAt: Date.now() + delay });
  }

  /** Ends the current attempt and any pending retry without scheduling another. */
  #end(reason: string, code: number): void {
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = undefined;
    const a = this.#attempt;
    if (!a) return;
    this.#attempt = undefined;
    for (const t of a.timers) clearTimeout(t);
    try {
      a.ws.close(code, reason);
    } catch {
      // Already closing.
    }
    if (a.registered) this.#emit("down", reason);
  }

  #setState(change: Partial<LobbyConnectionState>): void {
    this.#state = { ...this.#state, ...change };
    const snapshot = this.state;
    this.#emit("state", snapshot);
  }

  #emit<K extends keyof LobbyClientEvents>(event: K, ...args: Parameters<LobbyClientEvents[K]>): void {
    for (const listener of [...this.#listeners]) {
      const fn = listener[event] as ((...a: Parameters<LobbyClientEvents[K]>) => void) | undefined;
      if (fn) this.#call(() => fn.apply(listener, args));
    }
  }

  #call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#deps.log.error("lobby listener failed", { error: (err as Error).message });
    }
  }
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}
