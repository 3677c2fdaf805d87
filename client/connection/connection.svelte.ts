import type { ChannelFrame, ConnectionState, NodeInfo, ReconnectInfo } from "../../plugins/sdk/host.ts";
import { systemServerEvent } from "../../protocol/browser.ts";
import { type InboundFrame, ReconnectingSocket, type SocketLike } from "./socket-client.ts";

type FrameListener = (frame: ChannelFrame) => void;

/**
 * The tab's link to its node, as reactive state: `status` and `node` are runes, so the top bar
 * and panes re-render on change. Routes server frames to per-channel listeners and tells panes
 * when a reconnect means they may have missed frames.
 */
export class Connection {
  status = $state<ConnectionState>("connecting");
  node = $state.raw<NodeInfo | null>(null);

  readonly #socket: ReconnectingSocket;
  readonly #listeners = new Map<string, Set<FrameListener>>();
  readonly #reconnectListeners = new Set<(info: ReconnectInfo) => void>();
  #awaitingWelcome = false;

  constructor(url: string, connect?: (url: string) => SocketLike) {
    this.#socket = new ReconnectingSocket({
      url,
      connect,
      onStatus: (status) => {
        this.status = status;
      },
      onOpen: () => {
        this.#awaitingWelcome = true;
      },
      onFrame: (frame) => this.#dispatch(frame),
    });
  }

  start(): void {
    this.#socket.start();
  }

  stop(): void {
    this.#socket.stop();
  }

  retryNow(): void {
    this.#socket.retryNow();
  }

  send(channel: string, event: string, data: unknown): boolean {
    return this.#socket.send(channel, event, data);
  }

  subscribe(channel: string, listener: FrameListener): () => void {
    let set = this.#listeners.get(channel);
    if (!set) {
      set = new Set();
      this.#listeners.set(channel, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  onReconnect(listener: (info: ReconnectInfo) => void): () => void {
    this.#reconnectListeners.add(listener);
    return () => {
      this.#reconnectListeners.delete(listener);
    };
  }

  #dispatch(frame: InboundFrame): void {
    if (frame.channel === "system") this.#onSystem(frame);
    for (const listener of this.#listeners.get(frame.channel) ?? []) {
      // One pane's faulty listener must not starve the others of the frame.
      try {
        listener({ event: frame.event, data: frame.data });
      } catch (err) {
        console.error(`listener on channel "${frame.channel}" failed`, err);
      }
    }
  }

  #onSystem(frame: InboundFrame): void {
    const parsed = systemServerEvent.safeParse({ event: frame.event, data: frame.data });
    if (!parsed.success) return;
    const message = parsed.data;
    if (message.event === "welcome") {
      const previous = this.node;
      this.node = message.data;
      if (!this.#awaitingWelcome) return;
      this.#awaitingWelcome = false;
      if (previous) this.#emitReconnect({ restarted: previous.started_at !== message.data.started_at });
    } else if (message.event === "settings_changed" && "network.nodeName" in message.data.values) {
      // The welcome carries the effective name (a blank setting means the host name); ask again.
      this.send("system", "hello", {});
    }
  }

  #emitReconnect(info: ReconnectInfo): void {
    for (const listener of this.#reconnectListeners) {
      try {
        listener(info);
      } catch (err) {
        console.error("reconnect listener failed", err);
      }
    }
  }
}
