import { connect, type Socket } from "node:net";

/** A raw TCP socket that asked `/peer-ws` for a WebSocket upgrade and then says nothing. */
export interface SilentSocket {
  /** The HTTP status the node answered: 101 when upgraded, 503 when refused. */
  status: number;
  /** What came after the status line (headers and any body), as text. */
  reply: string;
  socket: Socket;
  /** Resolves once the node (or anyone) closed the connection. */
  closed: Promise<void>;
  isClosed(): boolean;
}

/**
 * Opens a TCP connection from `localAddress` (any 127.x.y.z works on Linux loopback, so one test
 * can be many sources), sends a WebSocket upgrade for `/peer-ws` and waits for the status line.
 */
export function silentUpgrade(port: number, localAddress = "127.0.0.1", ms = 5_000): Promise<SilentSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, localAddress });
    let text = "";
    let ended = false;
    const closed = new Promise<void>((done) =>
      socket.once("close", () => {
        ended = true;
        done();
      }),
    );
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to the upgrade from ${localAddress} within ${ms} ms`));
    }, ms);
    socket.on("error", () => {});
    socket.once("connect", () => {
      socket.write(
        "GET /peer-ws HTTP/1.1\r\n" +
          `Host: 127.0.0.1:${port}\r\n` +
          "Upgrade: websocket\r\nConnection: Upgrade\r\n" +
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
      );
    });
    const onData = (chunk: Buffer) => {
      text += chunk.toString("latin1");
      const head = text.indexOf("\r\n\r\n");
      if (head < 0) return;
      const status = Number(text.slice(9, 12));
      // A refusal carries a short JSON body; wait for it (or the close) before resolving.
      if (status !== 101 && !ended && !text.slice(head).includes("}")) return;
      clearTimeout(timer);
      socket.off("data", onData);
      resolve({ status, reply: text.slice(12), socket, closed, isClosed: () => ended });
    };
    socket.on("data", onData);
    socket.once("close", () => {
      if (text.includes("\r\n\r\n")) onData(Buffer.alloc(0));
      else {
        clearTimeout(timer);
        reject(new Error(`the node closed the connection from ${localAddress} without answering`));
      }
    });
  });
}
