import type { ServerWebSocket } from "bun";

/**
 * One accepted WebSocket, as the endpoint that upgraded it sees it. Made per socket at upgrade,
 * so it holds that socket's state; the listener only forwards Bun's events to it.
 */
export interface SocketSession {
  open(ws: ServerWebSocket<SocketSession>): void;
  message(raw: string | Buffer<ArrayBuffer>): void;
  close(code: number, reason: string): void;
  /** The upgrade did not happen after all (the request was not a WebSocket handshake). */
  abandoned?(): void;
}

/**
 * A WebSocket route of a listener: `/ws` for tabs and `/peer-ws` for peers on a node, `/lobby-ws`
 * on a lobby. The listener is a table of these beside its HTTP app, and knows none of them.
 */
export interface SocketEndpoint {
  readonly path: string;
  /**
   * Judges a request on `path`: a session to upgrade it into, a response refusing it, or
   * undefined to let the HTTP app answer it (a plain GET of the path, say).
   */
  upgrade(
    req: Request,
    from: { remoteAddress: string | undefined; port: number },
  ): SocketSession | Response | undefined;
}
