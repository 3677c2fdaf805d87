import type { ConnectionState } from "../../plugins/sdk/host.ts";
import { browserFrameShape } from "../../protocol/browser.ts";
import { backoffDelay } from "./backoff.ts";

/** One frame from the node, checked for its outer shape only; channels parse `data` themselves. */
export interface InboundFrame {
  channel: string;
  event: string;
  data: unknown;
}

/** The part of the DOM WebSocket this client uses, so tests can hand in a fake. */
export interface SocketLike {
  readonly readyState: number;
  send(text: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: Event) => void) | null;
  onclose: ((ev: CloseEvent) => void) | null;
  onerror: ((ev: Event) => void) | null;
  onmessage: ((ev: MessageEvent) => void) | null;
}

export interface ReconnectingSocketOptions {
  url: string;
  onStatus: (status: ConnectionState) => void;
  onOpen?: () => void;
  onFrame: (frame: InboundFrame) => void;
  connect?: (url: string) => SocketLike;
  random?: () => number;
}

const OPEN = 1;

/**
 * A `/ws` socket that keeps itself open: after a close it retries with exponential backoff and
 * jitter until `stop()`. Every inbound frame is parsed defensively; anything that is not JSON of the
 * shape `{ channel, event, data }` is dropped, never thrown.
 */
export class ReconnectingSocket {
  readonly #options: ReconnectingSocketOptions;
  #socket: SocketLike | undefined;
  #attempt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running = false;

  constructor(options: ReconnectingSocketOptions) {
    this.#options = options;
  }

  get isOpen(): boolean {
    return this.#socket?.readyState === OPEN;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#options.onStatus("connecting");
    this.#open();
  }

  stop(): void {
    this.#running = false;
    clearTimeout(this.#timer);
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.close(1000, "tab closed");
  }

  /** Skips the remaining backoff wait, e.g. when the browser says the network is back. */
  retryNow(): void {
    if (!this.#running || this.#socket) return;
    clearTimeout(this.#timer);
    this.#open();
  }

  /** Sends a frame if the socket is open; returns false (and drops it) otherwise. */
  send(channel: string, event: string, data: unknown): boolean {
    const socket = this.#socket;
    if (!socket || socket.readyState !== OPEN) return false;
    try {
      socket.send(JSON.stringify({ channel, event, data }));
      return true;
    } catch {
      return false;
    }
  }

  #open(): void {
    const connect = this.#options.connect ?? ((url: string) => new WebSocket(url));
    let socket: SocketLike;
    try {
      socket = connect(this.#options.url);
    } catch {
      this.#options.onStatus("offline");
      this.#scheduleRetry();
      return;
    }
    this.#socket = socket;
    // Events of a socket we already replaced or stopped are ignored.
    socket.onopen = () => {
      if (socket !== this.#socket) return;
      this.#attempt = 0;
      this.#options.onStatus("connected");
      this.#options.onOpen?.();
    };
    socket.onmessage = (ev) => {
      if (socket !== this.#socket) return;
      const frame = parseFrame(ev.data);
      if (frame) this.#options.onFrame(frame);
    };
    socket.onclose = () => {
      if (socket !== this.#socket) return;
      this.#socket = undefined;
      this.#options.onStatus("offline");
      this.#scheduleRetry();
    };
    // An error is always followed by close, which does the bookkeeping.
    socket.onerror = () => {};
  }

  #scheduleRetry(): void {
    if (!this.#running) return;
    const delay = backoffDelay(this.#attempt, this.#options.random);
    this.#attempt += 1;
    this.#timer = setTimeout(() => {
      if (this.#running && !this.#socket) this.#open();
    }, delay);
  }
}

/** Parses one raw message; undefined for anything that is not a well-formed frame. */
export function parseFrame(raw: unknown): InboundFrame | undefined {
  if (typeof raw !== "string") return undefined;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const parsed = browserFrameShape.safeParse(json);
  return parsed.success
    ? { channel: parsed.data.channel, event: parsed.data.event, data: parsed.data.data }
    : undefined;
}
