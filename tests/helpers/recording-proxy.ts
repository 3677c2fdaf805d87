import type { Server, ServerWebSocket } from "bun";
import { LOBBY_WS_PATH } from "../../protocol/lobby.ts";

/** One frame the proxy carried: which way, and its exact content. */
export interface RecordedFrame {
  /** `up`: node → lobby; `down`: lobby → node. */
  dir: "up" | "down";
  data: string | Uint8Array;
}

interface ProxySocket {
  upstream: WebSocket | undefined;
  /** Frames from the node before the lobby's socket opened, sent once it does. */
  early: Array<string | Uint8Array>;
}

export interface RecordingProxy {
  /** Where nodes connect instead of the lobby. */
  wsUrl: string;
  /** Every frame, both ways, in the order the proxy saw them. */
  frames: RecordedFrame[];
  stop(): Promise<void>;
}

/**
 * A WebSocket proxy between nodes and a lobby that keeps a copy of every frame both ways: what
 * the lobby (or anyone on its path) gets to see. Each node socket gets a socket of its own to the
 * lobby; a close on either side closes the other.
 */
export function startRecordingProxy(lobbyWsUrl: string): RecordingProxy {
  const frames: RecordedFrame[] = [];
  const copy = (data: string | Buffer | ArrayBuffer): string | Uint8Array =>
    typeof data === "string" ? data : new Uint8Array(data);
  const server: Server<ProxySocket> = Bun.serve<ProxySocket>({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req, srv) {
      if (new URL(req.url).pathname !== LOBBY_WS_PATH) return new Response("not found", { status: 404 });
      return srv.upgrade(req, { data: { upstream: undefined, early: [] } })
        ? undefined
        : new Response("upgrade", { status: 426 });
    },
    websocket: {
      maxPayloadLength: 2 * 1024 * 1024,
      open(ws: ServerWebSocket<ProxySocket>) {
        const up = new WebSocket(lobbyWsUrl);
        up.binaryType = "arraybuffer";
        ws.data.upstream = up;
        up.addEventListener("open", () => {
          for (const f of ws.data.early.splice(0)) up.send(f as Uint8Array<ArrayBuffer>);
        });
        up.addEventListener("message", (e) => {
          const data = copy(e.data as string | ArrayBuffer);
          frames.push({ dir: "down", data });
          ws.send(data as Uint8Array<ArrayBuffer>);
        });
        up.addEventListener("close", (e) => ws.close(e.code === 1005 ? 1000 : e.code, e.reason));
      },
      message(ws, raw) {
        const data = copy(raw);
        frames.push({ dir: "up", data });
        const up = ws.data.upstream;
        if (up?.readyState === WebSocket.OPEN) up.send(data as Uint8Array<ArrayBuffer>);
        else ws.data.early.push(data);
      },
      close(ws, code, reason) {
        ws.data.upstream?.close(code === 1005 ? 1000 : code, reason);
      },
    },
  });
  return {
    wsUrl: `ws://127.0.0.1:${server.port}${LOBBY_WS_PATH}`,
    frames,
    async stop() {
      await server.stop(true);
    },
  };
}

/** A frame's content as text: text frames as they are, binary ones decoded as UTF-8 and as Latin-1. */
export function frameTexts(f: RecordedFrame): string[] {
  if (typeof f.data === "string") return [f.data];
  const b = Buffer.from(f.data);
  return [b.toString("utf8"), b.toString("latin1")];
}

/**
 * The forms `secret` takes inside base64 text wherever it starts: for each of the three byte
 * alignments, the run of base64 characters that encodes only the secret's own bits.
 */
export function base64Forms(secret: string): string[] {
  const bytes = Buffer.from(secret);
  const forms: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString("base64");
    const from = Math.ceil((8 * shift) / 6);
    const to = Math.floor((8 * (shift + bytes.length)) / 6);
    forms.push(encoded.slice(from, to));
  }
  return forms;
}

/** The frames in which `secret` shows, as text or in base64 (standard or URL-safe). */
export function framesShowing(frames: readonly RecordedFrame[], secret: string): RecordedFrame[] {
  const forms = [secret, ...base64Forms(secret)];
  const urlSafe = forms.map((s) => s.replaceAll("+", "-").replaceAll("/", "_"));
  const needles = [...new Set([...forms, ...urlSafe])];
  return frames.filter((f) => frameTexts(f).some((t) => needles.some((n) => t.includes(n))));
}
