import type { z } from "zod";
import { browserFrameShape, errorFrame } from "../../protocol/browser.ts";
import type { ChannelName, ServerDataOf, ServerEventOf, ServerFrame } from "../../protocol/channels.ts";
import type { Logger } from "../log.ts";

/** A browser tab's socket as the hub sees it; the listener adapts Bun's WebSocket to this. */
export interface BrowserSocket {
  send(text: string): void;
  close(code?: number, reason?: string): void;
}

type Handler<S extends z.ZodType> = (socket: BrowserSocket, message: z.output<S>) => void | Promise<void>;

interface Channel {
  schema: z.ZodType;
  handler: Handler<z.ZodType>;
}

/** Largest frame a tab may send; UI frames are small, the cap only stops abuse. */
export const MAX_BROWSER_FRAME_BYTES = 1024 * 1024;

/**
 * Every tab's `/ws` socket. Parses each frame at the edge (size, JSON, outer shape, the channel's
 * event union) before a channel handler sees it; a bad frame gets an `error` frame on its channel
 * and the socket stays open. Knows nothing of Bun or HTTP.
 */
export class BrowserHub {
  readonly #sockets = new Set<BrowserSocket>();
  readonly #channels = new Map<string, Channel>();
  readonly #onOpen: Array<(socket: BrowserSocket) => void> = [];
  readonly #onClose: Array<(socket: BrowserSocket) => void> = [];

  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log;
  }

  /** Registers a channel: frames on it are parsed with `schema` and handed to `handler`. */
  channel<S extends z.ZodType>(name: string, schema: S, handler: Handler<S>): this {
    if (this.#channels.has(name)) throw new Error(`channel ${name} registered twice`);
    this.#channels.set(name, { schema, handler: handler as Handler<z.ZodType> });
    return this;
  }

  /** Runs for every new tab, after it is counted; used to greet it with current state. */
  onOpen(listener: (socket: BrowserSocket) => void): this {
    this.#onOpen.push(listener);
    return this;
  }

  /** Runs when a tab's socket closes; used to drop it from rooms it joined. */
  onClose(listener: (socket: BrowserSocket) => void): this {
    this.#onClose.push(listener);
    return this;
  }

  get size(): number {
    return this.#sockets.size;
  }

  open(socket: BrowserSocket): void {
    this.#sockets.add(socket);
    for (const listener of this.#onOpen) listener(socket);
  }

  close(socket: BrowserSocket): void {
    if (!this.#sockets.delete(socket)) return;
    for (const listener of this.#onClose) listener(socket);
  }

  async message(socket: BrowserSocket, raw: string | Uint8Array): Promise<void> {
    const size = typeof raw === "string" ? Buffer.byteLength(raw) : raw.byteLength;
    if (size > MAX_BROWSER_FRAME_BYTES) return this.#reject(socket, "system", "frame too large");
    let json: unknown;
    try {
      json = JSON.parse(typeof raw === "string" ? raw : new TextDecoder().decode(raw));
    } catch {
      return this.#reject(socket, "system", "frame is not JSON");
    }
    const frame = browserFrameShape.safeParse(json);
    if (!frame.success) return this.#reject(socket, "system", "frame must be { channel, event, data }");
    const { channel: name, event, data } = frame.data;
    const channel = this.#channels.get(name);
    if (!channel) return this.#reject(socket, name, `unknown channel "${name}"`);
    const parsed = channel.schema.safeParse({ event, data });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? ` at ${issue.path.join(".")}` : "";
      return this.#reject(socket, name, `bad "${event}" frame${where}: ${issue?.message ?? "invalid"}`);
    }
    try {
      await channel.handler(socket, parsed.data);
    } catch (err) {
      this.#log.error("browser channel handler failed", {
        channel: name,
        event,
        error: (err as Error).message,
      });
      this.#write(socket, errorFrame(name, `could not handle "${event}"`));
    }
  }

  /** Sends one tab a frame of a channel in protocol/channels.ts. */
  send(socket: BrowserSocket, frame: ServerFrame): void {
    this.#write(socket, frame);
  }

  /** Any frame, including `error` on a channel the tab made up. */
  #write(socket: BrowserSocket, frame: object): void {
    try {
      socket.send(JSON.stringify(frame));
    } catch (err) {
      this.#log.debug("send to a closing tab failed", { error: (err as Error).message });
    }
  }

  /** Sends every tab a frame of a channel in protocol/channels.ts. */
  broadcast(frame: ServerFrame): void {
    const text = JSON.stringify(frame);
    for (const socket of this.#sockets) {
      try {
        socket.send(text);
      } catch {
        // A tab that is closing; its close event removes it.
      }
    }
  }

  /** Closes every tab, as on shutdown; 1001 tells the client the node is going away. */
  closeAll(): void {
    for (const socket of this.#sockets) socket.close(1001, "weft is stopping");
    this.#sockets.clear();
  }

  #reject(socket: BrowserSocket, channel: string, message: string): void {
    this.#write(socket, errorFrame(channel, message));
  }
}

/**
 * A typed sender for one channel: `event` must be one of the channel's server events and `data`
 * its shape, so a misspelt event is a type error, not a frame the tab drops.
 */
export function channelSender<C extends ChannelName>(hub: BrowserHub, channel: C) {
  const frame = (event: string, data: unknown) => ({ channel, event, data }) as ServerFrame;
  return {
    send<E extends ServerEventOf<C>["event"]>(
      socket: BrowserSocket,
      event: E,
      data: ServerDataOf<C, E>,
    ): void {
      hub.send(socket, frame(event, data));
    },
    broadcast<E extends ServerEventOf<C>["event"]>(event: E, data: ServerDataOf<C, E>): void {
      hub.broadcast(frame(event, data));
    },
  };
}
