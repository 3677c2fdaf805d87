import type { ServerWebSocket } from "bun";
import { DIRECT } from "../../../protocol/peer.ts";
import type { SocketEndpoint } from "../../wire/socket-endpoint.ts";
import { DialError, type Link, LinkBase, type Transport } from "./link.ts";
import type { PendingHandshakes, PendingSlot } from "./pending-handshakes.ts";

/** The direct transport's path type (protocol/peer.ts): `ws://host:port/peer-ws`. */
export { DIRECT };

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

/** Where `/peer-ws` is accepted, and what bounds it (settings, read at each upgrade). */
export interface WebSocketAcceptOptions {
  /** Why inbound links are refused right now (`network.enableDirect` off), or undefined. */
  refuseAll?: () => string | undefined;
  /** Caps the sockets still in their handshake; without it, none are capped (tests). */
  pending?: PendingHandshakes;
}

/** The direct transport: dials `ws://…/peer-ws` and serves `endpoint` on the node's listener. */
export interface WebSocketTransport extends Transport {
  /** The `/peer-ws` route for the listener's table of socket endpoints. */
  readonly endpoint: SocketEndpoint;
}

export function createWebSocketTransport(
  options: { defaultTimeoutMs?: number } & WebSocketAcceptOptions = {},
): WebSocketTransport {
  let accept: ((link: Link) => unknown) | undefined;
  return {
    name: DIRECT,
    handles(address) {
      return /^wss?:\/\//i.test(address.trim());
    },
    async dial(address, dialOptions) {
      return dialWebSocket(
        address,
        dialOptions?.timeoutMs ?? options.defaultTimeoutMs ?? 5_000,
        dialOptions?.signal,
      );
    },
    listen(listener) {
      accept = listener;
      return () => {
        if (accept === listener) accept = undefined;
      };
    },
    endpoint: {
      path: PEER_WS_PATH,
      upgrade(req, from) {
        // A plain GET of the path is the HTTP app's to answer.
        if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") return undefined;
        const refused = options.refuseAll?.() ?? (accept ? undefined : "this node does not accept links yet");
        if (refused) return Response.json({ error: refused }, { status: 503 });
        // Refused before the upgrade, and the connection closed, so a flood holds no descriptor.
        const slot = options.pending ? options.pending.reserve(from.remoteAddress) : openSlot;
        if (typeof slot === "string") {
          return Response.json(
            { error: slot },
            { status: 503, headers: { connection: "close", "retry-after": "10" } },
          );
        }
        let link: InboundWebSocketLink | undefined;
        return {
          open(ws) {
            link = new InboundWebSocketLink(ws);
            const opened = link;
            slot.onEvict(() => opened.close(TRY_AGAIN_LATER, "too many handshakes in progress"));
            // The acceptor settles once the handshake succeeded or failed (it has its own timeout).
            void Promise.resolve(accept?.(opened)).finally(() => slot.release());
          },
          message(raw) {
            link?.received(raw); // a Buffer is a Uint8Array: no copy per frame
          },
          close(code, reason) {
            slot.release();
            link?.ended(code, reason);
          },
          abandoned() {
            slot.release();
          },
        };
      },
    },
  };
}

/** The path peers dial on a node's listener. */
export const PEER_WS_PATH = "/peer-ws";

/** A slot for when nothing caps pending handshakes. */
const openSlot: PendingSlot = { release() {}, onEvict() {} };

function dialWebSocket(address: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<Link> {
  const url = parsePeerAddress(address);
  return new Promise<Link>((resolve, reject) => {
    if (signal?.aborted) {
      reject(new DialError("aborted", `the dial of ${url.href} was cancelled`));
      return;
    }
    let socket: WebSocket;
    try {
      socket = new WebSocket(url.href);
    } catch (err) {
      reject(new DialError("unreachable", `cannot dial ${url.href}: ${(err as Error).message}`));
      return;
    }
    // The link is built at once so no frame sent right after open can slip past it.
    const link = new OutboundWebSocketLink(socket, url.href);
    const settle = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    const onAbort = () => {
      settle();
      socket.close();
      reject(new DialError("aborted", `the dial of ${url.href} was cancelled`));
    };
    const timer = setTimeout(() => {
      settle();
      socket.close();
      reject(new DialError("timeout", `no answer from ${url.href} within ${timeoutMs} ms`));
    }, timeoutMs);
    signal?.addEventListener("abort", onAbort, { once: true });
    socket.addEventListener("open", () => {
      settle();
      resolve(link);
    });
    socket.addEventListener("close", (e) => {
      settle();
      reject(new DialError("unreachable", `cannot reach ${url.href}${e.reason ? `: ${e.reason}` : ""}`));
    });
  });
}
