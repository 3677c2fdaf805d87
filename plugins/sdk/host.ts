import type { SystemServerEvent } from "../../protocol/browser.ts";
import type { ApiClient } from "./api-client.ts";

/** State of the tab's `/ws` link to its node. */
export type ConnectionState = "connecting" | "connected" | "offline";

/** What the node said about itself when the socket opened (`system:welcome`). */
export type NodeInfo = Extract<SystemServerEvent, { event: "welcome" }>["data"];

/** One server frame as a pane receives it; `data` is unchecked and must be parsed by the pane. */
export interface ChannelFrame {
  event: string;
  data: unknown;
}

/** Why the socket came back: `restarted` is true when the node itself restarted meanwhile. */
export interface ReconnectInfo {
  restarted: boolean;
}

/** What `openPane` asks a pane to show, e.g. `{ room: "scratch:groceries@…" }`. */
export type PaneParams = Readonly<Record<string, string>>;

export type NotifyKind = "info" | "success" | "error";

/** The one button a toast may carry, e.g. "Open" on a notice that a peer shared a pane. */
export interface NotifyAction {
  label: string;
  /** Runs on click; the toast then closes. */
  run: () => void;
}

/** What a toast may carry beyond its message. */
export interface NotifyOptions {
  /** A bold first line, e.g. who sent a message. */
  title?: string;
  /**
   * Toasts about the same thing share a key: a newer one replaces the older in place, and
   * `dismissToast(key)` takes it back once it is old news.
   */
  key?: string;
}

/**
 * An action a pane offers in the command palette (Ctrl+K), listed beside the panes as "Action".
 * Register it when the pane mounts and unregister when it unmounts, so the palette only offers
 * what an open pane can do.
 */
export interface PaneCommand {
  /** Names the command; registering the same id again replaces the earlier one in the list. */
  id: string;
  /** What the palette shows and matches as you type, e.g. "Share this note". */
  title: string;
  /** Runs when picked, after the palette closed. A rejection is shown to the user as an error toast. */
  run: () => void | Promise<void>;
  /** Asked each time the palette opens; false leaves the command out for now. */
  enabled?: () => boolean;
}

/**
 * Everything the shell offers a pane. Reactive getters (`connection`, `node`) are backed by runes,
 * so reading them in a component or `$derived` re-renders on change.
 */
export interface PaneHost {
  /** REST calls to this node. */
  readonly api: ApiClient;
  /** Current link state; reactive. */
  readonly connection: ConnectionState;
  /** The node's welcome, or null before the first one; reactive. */
  readonly node: NodeInfo | null;
  /** Listens to server frames of one channel; returns the unsubscribe function. */
  subscribe(channel: string, listener: (frame: ChannelFrame) => void): () => void;
  /** Sends a frame to the node; false when the socket is not open (nothing is queued). */
  send(channel: string, event: string, data: unknown): boolean;
  /**
   * Runs after every reconnect (not the first connect). Frames sent while offline were missed,
   * so panes refetch their state here.
   */
  onReconnect(listener: (info: ReconnectInfo) => void): () => void;
  /**
   * Opens a pane by id, or focuses it when it is already open. `params` say what to show in it
   * (e.g. which note); the pane receives them through `onOpened`.
   */
  openPane(id: string, params?: PaneParams): void;
  /**
   * Calls `listener` with the params of every `openPane(paneId, params)` for that pane, including
   * one made just before the pane mounted (held until someone listens). Returns the unsubscribe.
   */
  onOpened(paneId: string, listener: (params: PaneParams) => void): () => void;
  /** Shows a short toast, with one action button when `action` is given. */
  notify(message: string, kind?: NotifyKind, action?: NotifyAction, options?: NotifyOptions): void;
  /** Closes the toast shown with this `key` (see `NotifyOptions`), if it is still up. */
  dismissToast(key: string): void;
  /**
   * Shows `count` on the pane's tab and on its pill in the group strip, and adds it to the count
   * in the page title, until the pane reports another; 0 hides it. For things waiting for the
   * person, such as unread messages. The badge shows whether or not the pane is open: a built-in
   * pane that counts while closed reports from its `start` (see `definePane`).
   */
  setBadge(paneId: string, count: number): void;
  /**
   * Offers a command in the palette until the returned function is called; call that when the
   * pane unmounts (return it from the `$effect` that registered the command).
   */
  registerCommand(command: PaneCommand): () => void;
}

let installed: PaneHost | undefined;

/** Called once by the shell at boot, before any pane mounts. */
export function installHost(host: PaneHost): void {
  installed = host;
}

/** The shell's host; throws when called before the shell installed one. */
export function useHost(): PaneHost {
  if (!installed) throw new Error("no pane host installed: panes run inside the weft shell");
  return installed;
}
