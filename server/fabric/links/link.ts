import type { SocketEndpoint } from "../../wire/socket-endpoint.ts";

/** Why a link ended; `code` follows WebSocket close codes so every transport can report the same. */
export interface LinkCloseInfo {
  code: number;
  reason: string;
}

/**
 * One bidirectional channel of text frames to another node. The fabric core (handshake, sessions,
 * hub) talks only to this; each transport implements it in one file.
 */
export interface Link {
  /** Transport name shown to users: `direct`, `memory`, later `relay` and `webrtc`. */
  readonly transport: string;
  readonly direction: "inbound" | "outbound";
  /** Where the other end is, when the transport knows (a `ws://` URL or an IP). */
  readonly remoteAddress: string | undefined;
  /**
   * How the link travels, when the transport knows more than its address (WebRTC: the candidate
   * pair ICE chose, e.g. `host 10.0.0.2 -> srflx 203.0.113.7`), for the peer row.
   */
  readonly route?: string;
  readonly isOpen: boolean;
  /**
   * Whether a binary frame arrives as the same bytes, apart from text; a session seals in the
   * binary form (protocol/peer-binary.ts) only over a link that carries binary.
   */
  readonly carriesBinary: boolean;
  /** Sends one frame; throws `LinkClosedError` once the link is closed. */
  send(frame: string | Uint8Array): void;
  /** Closes the link; idempotent. Close listeners on both ends run once. */
  close(code?: number, reason?: string): void;
  /** Frames that arrive while nobody listens are buffered and delivered to the first listener. */
  onMessage(listener: (frame: string | Uint8Array) => void): () => void;
  onClose(listener: (info: LinkCloseInfo) => void): () => void;
}

/** How a dial may be bounded: a deadline, and a signal that gives up at once. */
export interface DialOptions {
  timeoutMs?: number;
  /** Aborting rejects the dial with `DialError` code `aborted` and closes whatever was opened. */
  signal?: AbortSignal;
}

/**
 * One way of reaching nodes and being reached: the direct WebSocket today, the relay and WebRTC
 * next. A transport says which addresses it can dial, dials them, and hands every link it accepts
 * to the listener it was given. The dialer (dialer.ts) holds all of them; the hub never sees one.
 */
export interface Transport {
  /** The path type it serves, shown to people: `direct`, `memory`, later `relay` and `webrtc`. */
  readonly name: string;
  /** Whether `address` is one this transport dials (checked before any dial, without I/O). */
  handles(address: string): boolean;
  /** Opens a link to `address`; rejects with `DialError`. */
  dial(address: string, options?: DialOptions): Promise<Link>;
  /**
   * Starts handing accepted links to `accept` (which settles when the handshake has); returns how
   * to stop. One listener at a time.
   */
  listen(accept: (link: Link) => unknown): () => void;
  /** The route it accepts on, for a transport reached through the node's HTTP listener. */
  readonly endpoint?: SocketEndpoint;
  /**
   * A way used only when the others fail: the dialer starts its paths after the others had
   * `LAST_RESORT_DELAY_MS` to link up, or at once when they all failed (the relay).
   */
  readonly lastResort?: boolean;
  /**
   * A way raced beside the node's direct paths rather than tried after them: started this long
   * after a dial began, or at once when the direct paths all failed (WebRTC).
   */
  readonly raceAfterMs?: number;
  /**
   * Why this transport may not be used right now (a setting turned it off), or undefined: the
   * dialer skips it with that reason before any attempt.
   */
  readonly disabled?: () => string | undefined;
}

export class LinkClosedError extends Error {
  override readonly name = "LinkClosedError";
}

export class DialError extends Error {
  override readonly name = "DialError";
  readonly code: "bad_address" | "unreachable" | "timeout" | "disabled" | "aborted";
  constructor(code: DialError["code"], message: string) {
    super(message);
    this.code = code;
  }
}

/** Close codes the fabric uses. */
export const CLOSE = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  policy: 1008,
  tooBig: 1009,
} as const;

/**
 * The bookkeeping every transport shares: buffering until the first message listener, running
 * close listeners exactly once, and refusing sends after close. A transport calls `deliver` and
 * `closed` from its socket events and implements `transmit` and `shutdown`.
 */
export abstract class LinkBase implements Link {
  abstract readonly transport: string;
  abstract readonly direction: "inbound" | "outbound";
  abstract readonly remoteAddress: string | undefined;
  readonly carriesBinary: boolean = true;
  #messageListeners = new Set<(frame: string | Uint8Array) => void>();
  #closeListeners = new Set<(info: LinkCloseInfo) => void>();
  #buffer: Array<string | Uint8Array> = [];
  #closed: LinkCloseInfo | undefined;

  get isOpen(): boolean {
    return this.#closed === undefined;
  }

  send(frame: string | Uint8Array): void {
    if (this.#closed)
      throw new LinkClosedError(`link is closed (${this.#closed.reason || this.#closed.code})`);
    this.transmit(frame);
  }

  close(code: number = CLOSE.normal, reason = ""): void {
    if (this.#closed) return;
    this.shutdown(code, reason);
    this.closed(code, reason);
  }

  onMessage(listener: (frame: string | Uint8Array) => void): () => void {
    this.#messageListeners.add(listener);
    if (this.#buffer.length > 0) {
      const pending = this.#buffer;
      this.#buffer = [];
      for (const frame of pending) listener(frame);
    }
    return () => this.#messageListeners.delete(listener);
  }

  onClose(listener: (info: LinkCloseInfo) => void): () => void {
    if (this.#closed) {
      const info = this.#closed;
      queueMicrotask(() => listener(info));
      return () => {};
    }
    this.#closeListeners.add(listener);
    return () => this.#closeListeners.delete(listener);
  }

  /** For transports: a frame arrived. */
  protected deliver(frame: string | Uint8Array): void {
    if (this.#closed) return;
    if (this.#messageListeners.size === 0) this.#buffer.push(frame);
    else for (const listener of this.#messageListeners) listener(frame);
  }

  /** For transports: the link ended (either side). Runs close listeners once. */
  protected closed(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = { code, reason };
    this.#buffer = [];
    const listeners = [...this.#closeListeners];
    this.#closeListeners.clear();
    this.#messageListeners.clear();
    for (const listener of listeners) listener(this.#closed);
  }

  protected abstract transmit(frame: string | Uint8Array): void;
  protected abstract shutdown(code: number, reason: string): void;
}
