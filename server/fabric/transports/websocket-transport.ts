import type { ServerWebSocket } from "bun";
import { DialError, type Link, LinkBase, type Transport } from "../link.ts";

/** The direct transport: `ws://host:port/peer-ws`, dialed with Bun's WebSocket client. */
export const DIRECT = "direct";

/** WebSocket close code 1013: the server is overloaded, the client may come back later. */
export const TRY_AGAIN_LATER = 1013;

class OutboundWebSocketLink extends LinkBase {
  readonly transport = DIRECT;
  readonly direction = "outbound" as const;
  readonly remoteAddress: string;
  readonly #socket: WebSocket;

  constructor(socket: WebSocket, address: string) {
    super();
    this.#socket = socket;
    this.remoteAddress = address;
    socket.binaryType = "arraybuffer";
    socket.addEventListener("message", (e) =>
      this.deliver(typeof e.data === "string" ? e.data : new Uint8Array(e.data as ArrayBuffer)),
    );
    socket.addEventListener("close", (e) => this.closed(e.code, e.reason));
  }

  protected transmit(frame: string | Uint8Array): void {
    // Frames are built in ordinary (not shared) buffers; the DOM typing wants that said.
    this.#socket.send(frame as string | Uint8Array<ArrayBuffer>);
  }

  protected shutdown(code: number, reason: string): void {
    this.#socket.close(code, reason.slice(0, 120));
  }
}

/** The accepting side: the HTTP listener feeds Bun's server socket events into this. */
export class InboundWebSocketLink extends LinkBase {
  readonly transport = DIRECT;
  readonly direction = "inbound" as const;
  readonly remoteAddress: string | undefined;
  readonly #socket: ServerWebSocket<unknown>;

  constructor(socket: ServerWebSocket<unknown>) {
    super();
    this.#socket = socket;
    this.remoteAddress = socket.remoteAddress;
  }

  /** Called by the listener for each frame. */
  received(frame: string | Uint8Array): void {
    this.deliver(frame);
  }

  /** Called by the listener when the socket closed. */
  ended(code: number, reason: string): void {
    this.closed(code, reason);
  }

  protected transmit(frame: string | Uint8Array): void {
    this.#socket.send(frame);
  }

  protected shutdown(code: number, reason: string): void {
    this.#socket.close(code, reason.slice(0, 120));
  }
}

/** Checks a peer address before anything dials it. */
export function parsePeerAddress(address: string): URL {
  let url: URL;
  try {
    url = new URL(address.trim());
  } catch {
    throw new DialError("bad_address", `"${address}" is not a URL like ws://host:7420/peer-ws`);
  }
  if (url.protocol !== "ws:" && url.protocol !== "wss:") {
    throw new DialError("bad_address", `"${address}" must start with ws:// or wss://`);
  }
  return url;
}

export function createWebSocketTransport(options: { defaultTimeoutMs?: number } = {}): Transport {
  return {
    name: DIRECT,
    async dial(address, dialOptions) {
      const url = parsePeerAddress(address);
      const timeoutMs = dialOptions?.timeoutMs ?? options.defaultTimeoutMs ?? 5_000;
      return new Promise<Link>((resolve, reject) => {
        let socket: WebSocket;
        try {
          socket = new WebSocket(url.href);
        } catch (err) {
          reject(new DialError("unreachable", `cannot dial ${url.href}: ${(err as Error).message}`));
          return;
        }
        // The link is built at once so no frame sent right after open can slip past it.
        const link = new OutboundWebSocketLink(socket, url.href);
        const timer = setTimeout(() => {
          socket.close();
          reject(new DialError("timeout", `no answer from ${url.href} within ${timeoutMs} ms`));
        }, timeoutMs);
        socket.addEventListener("open", () => {
          clearTimeout(timer);
          resolve(link);
        });
        socket.addEventListener("close", (e) => {
          clearTimeout(timer);
          reject(new DialError("unreachable", `cannot reach ${url.href}${e.reason ? `: ${e.reason}` : ""}`));
        });
      });
    },
  };
}
