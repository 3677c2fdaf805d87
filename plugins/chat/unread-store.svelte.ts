import { chatServerEvent } from "../../protocol/chat.ts";
import { type PaneHost, useHost } from "../sdk/index.ts";
import { chatManifest } from "./manifest.ts";

/**
 * Unread chat messages per peer, for the whole tab: the Chat pane's list reads it, and its total
 * is the pane's badge (`host.setBadge`) on its tab, its strip pill and in the page title. The node
 * pushes `unread` whenever counts change; `list_unread` asks again on every (re)connect, since
 * pushes sent while the socket was down are lost.
 */
export class UnreadCounts {
  counts = $state.raw<Readonly<Record<string, number>>>({});
  /** The node answered at least once; until then the counts are not known, not zero. */
  loaded = $state(false);

  constructor(host: PaneHost) {
    // Zero until the node says: the badge is there from the start, as a count of nothing.
    host.setBadge(chatManifest.id, 0);
    host.subscribe("chat", (frame) => {
      const parsed = chatServerEvent.safeParse(frame);
      if (!parsed.success || parsed.data.event !== "unread") return;
      this.counts = parsed.data.data.counts;
      this.loaded = true;
      host.setBadge(chatManifest.id, this.total);
    });
    host.subscribe("system", (frame) => {
      if (frame.event === "welcome") host.send("chat", "list_unread", {});
    });
    host.send("chat", "list_unread", {});
  }

  /**
   * Every unread message. A getter over `counts`, not a `$derived`: a derived belongs to the
   * component that first read it, and goes stale for everyone once that component is destroyed.
   */
  get total(): number {
    return totalUnread(this.counts);
  }

  of(nodeId: string): number {
    return this.counts[nodeId] ?? 0;
  }
}

/** The sum of per-conversation counts, ignoring nonsense below zero. */
export function totalUnread(counts: Readonly<Record<string, number>>): number {
  return Object.values(counts).reduce((sum, n) => sum + Math.max(0, n), 0);
}

let shared: UnreadCounts | undefined;

/**
 * The tab's one `UnreadCounts`, kept for the life of the tab. The pane's `start` makes it at boot
 * (see `startChatNews`), so no pane instance owns it; a caller before that makes it itself.
 */
export function sharedUnread(host: PaneHost = useHost()): UnreadCounts {
  shared ??= new UnreadCounts(host);
  return shared;
}
