import type { ApiClient } from "../../plugins/sdk/api-client.ts";
import type {
  ChannelFrame,
  ConnectionState,
  NodeInfo,
  PaneCommand,
  PaneHost,
  ReconnectInfo,
} from "../../plugins/sdk/host.ts";
import type { ChatSendOutcome, PluginAbilities, PluginPeer } from "../../plugins/sdk/plugin-abilities.ts";
import type { PluginPermission } from "../../protocol/plugin.ts";
import type { FrameCallMethod, FrameMessage, HostMessage } from "../../protocol/plugin-frame.ts";

/**
 * The pane SDK's host inside a plugin's sandboxed frame: every call becomes a message on the one
 * port the workspace handed over, and the workspace decides (docs/architecture.md, "Plugins in a
 * sandbox"). What a sandbox cannot offer is refused here with a reason a pane author can act on,
 * so a plugin written against the SDK fails loudly, not silently.
 */

type Init = Extract<HostMessage, { t: "init" }>;

/** What a plugin gets for a call the sandbox does not offer. */
export class SandboxRefusal extends Error {
  override readonly name = "SandboxRefusal";
}

const refusedApi = (path: string) =>
  Promise.reject(
    new SandboxRefusal(`a plugin pane cannot call the node's API (${path}); it has only its permissions`),
  );

const sandboxApi: ApiClient = {
  get: (path) => refusedApi(path),
  put: (path) => refusedApi(path),
  post: (path) => refusedApi(path),
  del: (path) => refusedApi(path),
};

/** The channels whose frames the workspace passes into a frame. */
const CHANNELS = new Set(["collab", "system"]);

export interface FrameHost {
  host: PaneHost;
  abilities: PluginAbilities;
  /** Feeds one message from the workspace in. */
  receive(message: HostMessage): void;
}

export function frameHost(port: MessagePort, init: Init): FrameHost {
  const post = (message: FrameMessage) => port.postMessage(message);
  let connection: ConnectionState = init.connection;
  let node: NodeInfo | null = init.node ? { ...init.node, protocol_version: 0, started_at: 0 } : null;
  const listeners = new Map<string, Set<(frame: ChannelFrame) => void>>();
  const reconnects = new Set<(info: ReconnectInfo) => void>();
  const commands = new Map<string, PaneCommand>();
  const calls = new Map<number, { ok: (value: unknown) => void; fail: (error: Error) => void }>();
  let nextCall = 0;

  const call = (method: FrameCallMethod, text?: string) =>
    new Promise<unknown>((ok, fail) => {
      const id = nextCall++;
      calls.set(id, { ok, fail });
      post({ t: "call", id, method, ...(text === undefined ? {} : { text }) });
    });

  const host: PaneHost = {
    api: sandboxApi,
    get connection() {
      return connection;
    },
    get node() {
      return node;
    },
    subscribe(channel, listener) {
      if (!CHANNELS.has(channel)) {
        throw new SandboxRefusal(
          `a plugin pane hears only its own rooms ("collab") and "system", not "${channel}"`,
        );
      }
      let set = listeners.get(channel);
      if (!set) {
        set = new Set();
        listeners.set(channel, set);
        post({ t: "subscribe", channel });
      }
      set.add(listener);
      return () => set.delete(listener);
    },
    send(channel, event, data) {
      if (channel !== "collab") return false;
      post({ t: "send", channel, event, data });
      return connection === "connected";
    },
    onReconnect(listener) {
      reconnects.add(listener);
      return () => reconnects.delete(listener);
    },
    openPane(paneId, params) {
      post({ t: "open", paneId, ...(params ? { params: { ...params } } : {}) });
    },
    // The workspace mounts the pane afresh on the room it is opened for, with that room as its
    // paneKey, so a frame never hears of an opening itself.
    onOpened: () => () => {},
    notify(message) {
      // A toast is a notice here: the same permission, so no pane speaks in the workspace unasked.
      abilities.notify(message).catch((error: Error) => console.warn(`${init.pluginId}: ${error.message}`));
    },
    dismissToast() {},
    setBadge(paneId, count) {
      if (paneId === init.pluginId) post({ t: "badge", count: Math.max(0, Math.floor(count)) });
    },
    registerCommand(command) {
      commands.set(command.id, command);
      post({ t: "command-add", id: command.id, title: command.title });
      return () => {
        if (commands.get(command.id) !== command) return;
        commands.delete(command.id);
        post({ t: "command-remove", id: command.id });
      };
    },
  };

  const abilities: PluginAbilities = {
    id: init.pluginId,
    granted: init.granted as readonly PluginPermission[],
    peers: () => call("peers") as Promise<PluginPeer[]>,
    notify: async (text) => {
      await call("notify", text);
    },
    sendChat: (text) => call("send-chat", text) as Promise<ChatSendOutcome>,
  };

  function receive(message: HostMessage): void {
    switch (message.t) {
      case "frame": {
        if (message.channel === "system" && message.event === "welcome") {
          const d = message.data as Init["node"];
          if (d) node = { ...d, protocol_version: 0, started_at: 0 };
        }
        for (const l of [...(listeners.get(message.channel) ?? [])])
          l({ event: message.event, data: message.data });
        return;
      }
      case "connection":
        connection = message.state;
        return;
      case "reconnect":
        for (const l of [...reconnects]) l({ restarted: message.restarted });
        return;
      case "run-command": {
        const command = commands.get(message.id);
        if (command && command.enabled?.() !== false) void command.run();
        return;
      }
      case "result": {
        const pending = calls.get(message.id);
        if (!pending) return;
        calls.delete(message.id);
        if (message.ok) pending.ok(message.value);
        else pending.fail(new Error(message.error ?? "refused"));
        return;
      }
      case "init":
      case "theme":
        return;
    }
  }

  return { host, abilities, receive };
}
