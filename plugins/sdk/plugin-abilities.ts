import type { PluginPermission } from "../../protocol/plugin.ts";

/** A peer as a plugin with `peers:read` sees it: a name and whether it is online, nothing more. */
export interface PluginPeer {
  name: string;
  status: "online" | "offline";
}

/** What came of `sendChat`: sent to the peer the person picked, or not sent and why. */
export type ChatSendOutcome = { sent: true; to: string } | { sent: false; reason: string };

/**
 * What a third-party pane may do beyond drawing in its frame and using its own rooms, each behind
 * a permission its `pane.json` asks for and its person granted. A call without the permission is
 * refused (the promise rejects with the reason); nothing is asked of the person at that moment
 * except for `sendChat`, where they pick the peer and may cancel.
 */
export interface PluginAbilities {
  /** The plugin's id, as in its `pane.json`. */
  readonly id: string;
  /** What its person allowed, as of when the pane opened. */
  readonly granted: readonly PluginPermission[];
  /** `peers:read`: this node's peers, by name and status. */
  peers(): Promise<PluginPeer[]>;
  /** `notify`: a notice in the inbox and a toast, titled with the plugin's name. */
  notify(text: string): Promise<void>;
  /**
   * `chat:send`: asks the person to pick a peer for `text` (they see the text and may cancel), then
   * sends it as a chat message from them.
   */
  sendChat(text: string): Promise<ChatSendOutcome>;
}

/** The abilities of a pane that runs outside a sandbox (a test): every call is refused. */
export const NO_ABILITIES: PluginAbilities = {
  id: "",
  granted: [],
  peers: () => Promise.reject(new Error("this pane has no plugin permissions")),
  notify: () => Promise.reject(new Error("this pane has no plugin permissions")),
  sendChat: () => Promise.reject(new Error("this pane has no plugin permissions")),
};
