import { createHash, randomBytes } from "node:crypto";
import { connect, createServer, type Server, type Socket } from "node:net";
import type { LobbyServerOf } from "../../protocol/lobby.ts";
import type { NodeIdentity } from "../../server/identity/identity.ts";
import { signRegistration } from "./lobby-peer.ts";

/**
 * A lobby socket spoken by hand over raw TCP, for what a WebSocket client will not do: stop
 * reading (its kernel buffers fill and the lobby's send buffer grows) or be refused before the
 * upgrade. It speaks just enough of RFC 6455: masked frames out, unmasked frames in.
 */
export class RawLobbySocket {
  /** The HTTP status of the upgrade: 101, or the refusal's (503 when over a limit). */
  status = 0;
  readonly socket: Socket;
  readonly texts: string[] = [];
  /** Binary frames (relayed frames) in the order they arrived. */
  readonly binaries: Buffer[] = [];
  closed = false;
  #buffer = Buffer.alloc(0);
  #upgraded = false;
  #waiters: Array<() => void> = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => this.#data(chunk));
    socket.on("error", () => {});
    socket.on("close", () => {
      this.closed = true;
      this.#wake();
    });
  }

  /** Opens TCP from `localAddress` and asks for `/lobby-ws`; resolves once the status line is in. */
  static async open(port: number, localAddress = "127.0.0.1"): Promise<RawLobbySocket> {
    const socket = connect({ host: "127.0.0.1", port, localAddress });
    const raw = new RawLobbySocket(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("error", reject);
    });
    socket.write(
      "GET /lobby-ws HTTP/1.1\r\n" +
        `Host: 127.0.0.1:${port}\r\n` +
        "Upgrade: websocket\r\nConnection: Upgrade\r\n" +
        `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    await raw.until(() => raw.status !== 0 || raw.closed, "the upgrade's answer");
    return raw;
  }

  /** Sends a masked text frame. */
  sendText(text: string): void {
    this.#send(0x81, Buffer.from(text));
  }

  /** Sends a masked binary frame (a relayed frame, protocol/lobby.ts). */
  sendBinary(bytes: Uint8Array): void {
    this.#send(0x82, Buffer.from(bytes));
  }

  #send(first: number, payload: Buffer): void {
    const mask = randomBytes(4);
    const len = payload.length;
    const head = len < 126 ? Buffer.from([first, 0x80 | len]) : Buffer.alloc(len < 65536 ? 4 : 10);
    if (len >= 126 && len < 65536) {
      head[0] = first;
      head[1] = 0x80 | 126;
      head.writeUInt16BE(len, 2);
    } else if (len >= 65536) {
      head[0] = first;
      head[1] = 0x80 | 127;
      head.writeBigUInt64BE(BigInt(len), 2);
    }
    for (let i = 0; i < len; i++) payload[i]! ^= mask[i % 4]!;
    this.socket.write(Buffer.concat([head, mask, payload]));
  }

  /** Stops reading: what the lobby sends piles up in the kernel and then in the lobby. */
  stopReading(): void {
    this.socket.pause();
  }

  /** Reads again: what piled up arrives. */
  resumeReading(): void {
    this.socket.resume();
  }

  /** Waits for `cond` (checked on every arrival) for up to `ms`. */
  async until(cond: () => boolean, what: string, ms = 3_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!cond()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 50));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Reads the challenge and registers as `identity`. */
  async register(identity: NodeIdentity): Promise<void> {
    await this.until(() => this.texts.length > 0, "challenge");
    const challenge = JSON.parse(this.texts[0]!) as LobbyServerOf<"challenge">;
    const proof = {
      nonce: challenge.nonce,
      lobby_id: challenge.lobby_id,
      node_id: identity.nodeId,
      public_key: identity.publicKeyBase64,
    };
    this.sendText(
      JSON.stringify({
        type: "register",
        node_id: identity.nodeId,
        public_key: identity.publicKeyBase64,
        node_name: "raw",
        capabilities: [],
        addresses: [],
        listed: false,
        sig: signRegistration(identity, proof),
      }),
    );
    await this.until(() => this.texts.some((t) => t.includes('"registered"')), "registered");
  }

  destroy(): void {
    this.socket.destroy();
  }

  #data(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    if (!this.#upgraded) {
      const end = this.#buffer.indexOf("\r\n\r\n");
      if (end < 0) return;
      this.status = Number(this.#buffer.subarray(9, 12).toString());
      this.#upgraded = true;
      this.#buffer = this.#buffer.subarray(end + 4);
    }
    for (;;) {
      if (this.#buffer.length < 2) break;
      const opcode = this.#buffer[0]! & 0x0f;
      let len = this.#buffer[1]! & 0x7f;
      let at = 2;
      if (len === 126) {
        if (this.#buffer.length < 4) break;
        len = this.#buffer.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (this.#buffer.length < 10) break;
        len = Number(this.#buffer.readBigUInt64BE(2));
        at = 10;
      }
      if (this.#buffer.length < at + len) break;
      if (opcode === 1) this.texts.push(this.#buffer.subarray(at, at + len).toString());
      else if (opcode === 2) this.binaries.push(Buffer.from(this.#buffer.subarray(at, at + len)));
      this.#buffer = this.#buffer.subarray(at + len);
    }
    this.#wake();
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }
}

/**
 * A stand-in lobby on raw TCP that answers the WebSocket upgrade, says `frames` (a challenge and
 * `registered` first, so a lobby client counts as registered) and then stops reading: whatever
 * the client sends piles up in the kernel and then in the client's own socket.
 */
export class StalledLobby {
  readonly server: Server;
  readonly sockets: Socket[] = [];
  /** Text frames the client sent, once `resumeReading` let them in. */
  readonly texts: string[] = [];
  port = 0;
  #buffer: Buffer = Buffer.alloc(0);

  private constructor(server: Server) {
    this.server = server;
  }

  static async start(frames: () => unknown[]): Promise<StalledLobby> {
    const server = createServer();
    const lobby = new StalledLobby(server);
    server.on("connection", (socket) => {
      lobby.sockets.push(socket);
      socket.on("error", () => {});
      let head = "";
      const onData = (chunk: Buffer) => {
        head += chunk.toString("latin1");
        if (!head.includes("\r\n\r\n")) return;
        socket.off("data", onData);
        socket.pause();
        const key = /sec-websocket-key:\s*(\S+)/i.exec(head)?.[1] ?? "";
        const accept = createHash("sha1")
          .update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
          .digest("base64");
        socket.write(
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
        );
        for (const frame of frames()) socket.write(textFrame(JSON.stringify(frame)));
      };
      socket.on("data", onData);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    lobby.port = typeof address === "object" && address ? address.port : 0;
    return lobby;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/lobby-ws`;
  }

  /** Reads again, keeping the text frames (masked, as a client sends them) and skipping the rest. */
  resumeReading(): void {
    for (const socket of this.sockets) {
      socket.on("data", (chunk: Buffer) => this.#data(chunk));
      socket.resume();
    }
  }

  #data(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      const b = this.#buffer;
      if (b.length < 2) return;
      let len = b[1]! & 0x7f;
      let at = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        len = Number(b.readBigUInt64BE(2));
        at = 10;
      }
      const masked = (b[1]! & 0x80) !== 0;
      const start = at + (masked ? 4 : 0);
      if (b.length < start + len) return;
      if ((b[0]! & 0x0f) === 1) {
        const payload = Buffer.from(b.subarray(start, start + len));
        if (masked) for (let i = 0; i < len; i++) payload[i]! ^= b[at + (i % 4)]!;
        this.texts.push(payload.toString());
      }
      this.#buffer = b.subarray(start + len);
    }
  }

  stop(): void {
    for (const s of this.sockets) s.destroy();
    this.server.close();
  }
}

/** An unmasked text frame, as a server sends it. */
function textFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x81, len]) : Buffer.alloc(len < 65536 ? 4 : 10);
  if (len >= 126 && len < 65536) {
    head[0] = 0x81;
    head[1] = 126;
    head.writeUInt16BE(len, 2);
  } else if (len >= 65536) {
    head[0] = 0x81;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([head, payload]);
}
