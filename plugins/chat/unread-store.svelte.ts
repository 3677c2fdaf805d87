import { chatServerEvent } from "../../protocol/chat.ts";
import { type PaneHost, useHost } from "../sdk/index.ts";

/**
 * Unread chat messages per peer, for the whole tab: the Chat pane's badges and the group strip's
 * total read it. The node pushes `unread` whenever counts change; `list_unread` asks again on every
 * (re)connect, since pushes sent while the socket was down are lost.
 */
export class UnreadCounts {
  counts = $state.raw<Readonly<Record<string, number>>>({});
  /** The node answered at least once; until then the counts are not known, not zero. */
  loaded = $state(false);
  readonly total = $derived(Object.values(this.counts).reduce((sum, n) => sum + Math.max(0, n), 0));

  constructor(host: PaneHost) {
    host.subscribe("chat", (frame) => {
      const parsed = chatServerEvent.safeParse(frame);
      if (!parsed.success || parsed.data.event !== "unread") return;
      this.counts = parsed.data.data.counts;
      this.loaded = true;
    });
    host.subscribe("system", (frame) => {
      if (frame.event === "welcome") host.send("chat", "list_unread", {});
    });
    host.send("chat", "list_unread", {});
  }

  of(nodeId: string): number {
    return this.counts[nodeId] ?? 0;
  }
}

let shared: UnreadCounts | undefined;

/** The tab's one `UnreadCounts`, started on first use and kept for the life of the tab. */
export function sharedUnread(host: PaneHost = useHost()): UnreadCounts {
  shared ??= new UnreadCounts(host);
  return shared;
}
