import type { ApiClient } from "../../../plugins/sdk/api-client.ts";
import type { ChannelFrame, ConnectionState, PaneHost, ReconnectInfo } from "../../../plugins/sdk/host.ts";

export interface SentFrame {
  channel: string;
  event: string;
  data: unknown;
}

/**
 * A `PaneHost` for tests: records what a pane sends, lets the test push server frames and
 * reconnects, and can be taken offline (sends then fail, as the real socket's do).
 */
export interface FakeHost {
  host: PaneHost;
  sent: SentFrame[];
  /** Called on every successful send, after it is recorded. */
  onSend: ((frame: SentFrame) => void) | undefined;
  push(channel: string, frame: ChannelFrame): void;
  setOnline(online: boolean): void;
  /** Brings the link back and runs the reconnect listeners, as the shell does after a welcome. */
  reconnect(): void;
}

export function fakeHost(): FakeHost {
  const listeners = new Map<string, Set<(frame: ChannelFrame) => void>>();
  const reconnects = new Set<(info: ReconnectInfo) => void>();
  let online = true;
  const fake: FakeHost = {
    sent: [],
    onSend: undefined,
    host: {
      api: {} as ApiClient,
      get connection(): ConnectionState {
        return online ? "connected" : "offline";
      },
      node: null,
      subscribe(channel, listener) {
        const set = listeners.get(channel) ?? new Set();
        listeners.set(channel, set);
        set.add(listener);
        return () => set.delete(listener);
      },
      send(channel, event, data) {
        if (!online) return false;
        // Through JSON, as on the real socket: nothing may depend on object identity.
        const frame = JSON.parse(JSON.stringify({ channel, event, data })) as SentFrame;
        fake.sent.push(frame);
        fake.onSend?.(frame);
        return true;
      },
      onReconnect(listener) {
        reconnects.add(listener);
        return () => reconnects.delete(listener);
      },
      openPane() {},
      onOpened: () => () => {},
      notify() {},
      dismissToast() {},
      setBadge() {},
      registerCommand: () => () => {},
    },
    push(channel, frame) {
      for (const listener of listeners.get(channel) ?? []) listener(frame);
    },
    setOnline(next) {
      online = next;
    },
    reconnect() {
      online = true;
      for (const listener of reconnects) listener({ restarted: false });
    },
  };
  return fake;
}
