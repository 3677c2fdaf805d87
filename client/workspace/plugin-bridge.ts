import { api } from "../../plugins/sdk/api-client.ts";
import type { PaneHost } from "../../plugins/sdk/host.ts";
import {
  type CollabClientEvent,
  collabClientEvent,
  paneIdOf,
  parseRoomAddress,
} from "../../protocol/collab.ts";
import {
  PERMISSION_WORDS,
  type PluginPermission,
  type PluginRow,
  pluginPeersResponse,
} from "../../protocol/plugin.ts";
import {
  FRAME_CONNECT,
  type FrameMessage,
  frameMessage,
  type HostMessage,
} from "../../protocol/plugin-frame.ts";

/**
 * The workspace's side of one sandboxed plugin frame (docs/architecture.md, "Plugins in a
 * sandbox"): it hands the frame one MessagePort and answers what comes through it, parsed and
 * checked against the plugin's own rooms and the permissions its person granted. The frame's code
 * is a stranger's: nothing it sends is trusted, and nothing of the node reaches it but its rooms.
 */

/** A plugin's failure as its frame reported it, shown in the pane with a Retry. */
export class PluginFailure extends Error {
  override readonly name = "PluginFailure";
  constructor(message: string, stack?: string) {
    super(message);
    if (stack) this.stack = stack;
  }
}

export interface PluginBridgeOptions {
  frame: HTMLIFrameElement;
  plugin: { id: string; title: string };
  instanceId: string;
  paneKey: string | undefined;
  /** The shell's host: the bridge uses it on the plugin's behalf, within the plugin's rights. */
  host: PaneHost;
  /** The plugin as the node lists it now (what it asks for, what its person granted). */
  row: () => Promise<PluginRow>;
  /** Asks the person who gets `text`; null when they cancel. */
  pickPeer: (text: string) => Promise<{ peerId: string; name: string } | null>;
  onMounted: () => void;
  onFailure: (error: Error) => void;
}

export interface PluginBridge {
  /** Tells the frame the socket's state. */
  connection(state: PaneHost["connection"]): void;
  dispose(): void;
}

const MAX_COMMANDS = 20;
const theme = () => document.documentElement.dataset.theme ?? "system";

/** True when `address` names a room of this plugin's pane: its own, or one shared with this node. */
export function isOwnRoom(pluginId: string, address: string): boolean {
  const ref = parseRoomAddress(address);
  return ref !== null && paneIdOf(ref.paneKey) === pluginId;
}

/** Why a collab frame from the plugin is refused, or undefined when it may go to the node. */
export function collabRefusal(
  pluginId: string,
  msg: CollabClientEvent,
  granted: boolean,
): string | undefined {
  if (msg.event === "rooms") return msg.data.paneId === pluginId ? undefined : "not this pane's rooms";
  if (!isOwnRoom(pluginId, msg.data.paneKey)) return `room ${msg.data.paneKey} is not this pane's`;
  if ((msg.event === "share" || msg.event === "unshare") && !granted) {
    return "sharing needs the collab permission, which its person has not granted";
  }
  return undefined;
}

/** What of a node frame a plugin may hear: its own rooms' frames and the node's welcome. */
export function visibleFrame(pluginId: string, channel: string, event: string, data: unknown): unknown {
  const d = (data ?? {}) as Record<string, unknown>;
  if (channel === "system") {
    if (event !== "welcome") return undefined;
    return { node_id: d.node_id, node_name: d.node_name, version: d.version };
  }
  if (channel !== "collab") return undefined;
  if (event === "rooms") return d.paneId === pluginId ? data : undefined;
  return typeof d.paneKey === "string" && isOwnRoom(pluginId, d.paneKey) ? data : undefined;
}

export function connectPluginFrame(o: PluginBridgeOptions, initial: PluginRow): PluginBridge {
  const { id, title } = o.plugin;
  let port: MessagePort | undefined;
  let loads = 0;
  let disposed = false;
  let refusals = 0;
  let choosing = false;
  const offs: Array<() => void> = [];
  const commands = new Map<string, () => void>();
  const post = (message: HostMessage) => port?.postMessage(message);

  const fail = (error: Error) => {
    if (!disposed) o.onFailure(error);
  };

  /** The permission, checked against what the node says now (the person may have revoked it). */
  async function permitted(permission: PluginPermission): Promise<void> {
    const row = await o.row();
    if (!row.enabled) throw new Error(`${title} is turned off`);
    if (!row.permissions.includes(permission)) {
      throw new Error(`${title} does not ask for ${permission} in its pane.json`);
    }
    if (!row.granted.includes(permission)) {
      const words = PERMISSION_WORDS[permission];
      throw new Error(`${title} is not allowed to ${words.charAt(0).toLowerCase()}${words.slice(1)}`);
    }
  }

  async function answer(call: Extract<FrameMessage, { t: "call" }>): Promise<unknown> {
    const base = `/api/plugins/${encodeURIComponent(id)}`;
    switch (call.method) {
      case "peers":
        await permitted("peers:read");
        return (await api.get(`${base}/peers`, pluginPeersResponse)).peers;
      case "notify": {
        await permitted("notify");
        const text = (call.text ?? "").trim();
        await api.post(`${base}/notices`, { text });
        o.host.notify(text, "info", undefined, { title });
        return null;
      }
      case "send-chat": {
        await permitted("chat:send");
        const text = (call.text ?? "").trim();
        if (!text) throw new Error("there is nothing to send");
        if (choosing) throw new Error("another message of this pane is waiting for its person");
        choosing = true;
        try {
          const to = await o.pickPeer(text);
          if (!to) return { sent: false, reason: "cancelled by its person" };
          await api.post(`${base}/chat`, { peer_id: to.peerId, text });
          return { sent: true, to: to.name };
        } finally {
          choosing = false;
        }
      }
    }
  }

  async function sendCollab(event: string, data: unknown): Promise<void> {
    const parsed = collabClientEvent.safeParse({ event, data });
    const paneKey = (data as { paneKey?: unknown } | null)?.paneKey;
    const refuse = (message: string) => {
      console.warn(`pane "${id}": ${message}`);
      post({
        t: "frame",
        channel: "collab",
        event: "error",
        data: { message, ...(typeof paneKey === "string" ? { paneKey } : {}) },
      });
    };
    if (!parsed.success) return refuse(`a malformed collab "${event}" was not sent`);
    const sharing = parsed.data.event === "share" || parsed.data.event === "unshare";
    const granted = sharing
      ? await permitted("collab").then(
          () => true,
          () => false,
        )
      : true;
    const why = collabRefusal(id, parsed.data, granted);
    if (why) return refuse(why);
    o.host.send("collab", parsed.data.event, parsed.data.data);
  }

  function handle(raw: unknown): void {
    const parsed = frameMessage.safeParse(raw);
    if (!parsed.success) {
      if (refusals++ < 5) console.warn(`pane "${id}" sent a message the workspace does not take`);
      return;
    }
    const m = parsed.data;
    switch (m.t) {
      case "send":
        if (m.channel === "collab") void sendCollab(m.event, m.data);
        return;
      case "subscribe":
        if (m.channel !== "collab" && m.channel !== "system") return;
        offs.push(
          o.host.subscribe(m.channel, (frame) => {
            const data = visibleFrame(id, m.channel, frame.event, frame.data);
            if (data !== undefined) post({ t: "frame", channel: m.channel, event: frame.event, data });
          }),
        );
        return;
      case "badge":
        o.host.setBadge(id, m.count);
        return;
      case "open":
        if (m.paneId === id) o.host.openPane(id, m.params);
        else console.warn(`pane "${id}" may open only itself, not "${m.paneId}"`);
        return;
      case "command-add": {
        if (!commands.has(m.id) && commands.size >= MAX_COMMANDS) return;
        commands.get(m.id)?.();
        const off = o.host.registerCommand({
          id: `plugin:${id}:${m.id}`,
          title: `${title}: ${m.title}`,
          run: () => post({ t: "run-command", id: m.id }),
        });
        commands.set(m.id, off);
        return;
      }
      case "command-remove":
        commands.get(m.id)?.();
        commands.delete(m.id);
        return;
      case "key":
        dispatchEvent(
          new KeyboardEvent("keydown", {
            key: m.key,
            ctrlKey: m.ctrl,
            metaKey: m.meta,
            shiftKey: m.shift,
            altKey: m.alt,
            bubbles: true,
            cancelable: true,
          }),
        );
        return;
      case "focus":
        o.frame.dispatchEvent(new FocusEvent("focusin", { bubbles: true }));
        return;
      case "mounted":
        o.onMounted();
        return;
      case "failed":
        fail(new PluginFailure(m.message, m.stack));
        return;
      case "call":
        answer(m).then(
          (value) => post({ t: "result", id: m.id, ok: true, value }),
          (error: Error) => post({ t: "result", id: m.id, ok: false, error: error.message }),
        );
        return;
    }
  }

  const onLoad = () => {
    loads += 1;
    // The frame may load exactly one page; a second load means its code navigated it, and a
    // port handed to whatever is there now would be handed to a page we never checked.
    if (loads > 1 || !o.frame.contentWindow) {
      port?.close();
      port = undefined;
      fail(new PluginFailure(`${title} left its page; the pane was stopped`));
      return;
    }
    const channel = new MessageChannel();
    port = channel.port1;
    port.onmessage = (e) => handle(e.data);
    // An opaque origin has no name to address it by: "*" is the only target, and the frame
    // element's own window the only recipient.
    o.frame.contentWindow.postMessage({ t: FRAME_CONNECT }, "*", [channel.port2]);
    post({
      t: "init",
      pluginId: id,
      instanceId: o.instanceId,
      ...(o.paneKey === undefined ? {} : { paneKey: o.paneKey }),
      node: o.host.node
        ? { node_id: o.host.node.node_id, node_name: o.host.node.node_name, version: o.host.node.version }
        : null,
      connection: o.host.connection,
      theme: theme(),
      granted: initial.granted,
    });
  };
  o.frame.addEventListener("load", onLoad);
  offs.push(() => o.frame.removeEventListener("load", onLoad));
  offs.push(o.host.onReconnect((info) => post({ t: "reconnect", restarted: info.restarted })));
  const themeWatch = new MutationObserver(() => post({ t: "theme", theme: theme() }));
  themeWatch.observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
  offs.push(() => themeWatch.disconnect());

  return {
    connection: (state) => post({ t: "connection", state }),
    dispose() {
      disposed = true;
      for (const off of offs.splice(0)) off();
      for (const off of commands.values()) off();
      commands.clear();
      port?.close();
      port = undefined;
    },
  };
}
