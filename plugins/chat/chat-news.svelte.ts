import { chatPage, chatServerEvent } from "../../protocol/chat.ts";
import { type PaneHost, PeerDirectory } from "../sdk/index.ts";
import { desktopNotices } from "./desktop-notices.svelte.ts";
import { newsPreview, type Rise, unreadRises } from "./news-format.ts";
import { replyTo } from "./open-request.svelte.ts";
import { sharedUnread, type UnreadCounts } from "./unread-store.svelte.ts";

/** One piece of chat news for the page: who wrote and what. */
export interface ChatNewsItem {
  nodeId: string;
  sender: string;
  preview: string;
}

/** How news shows in the page. */
export interface NewsView {
  /** Shows (or updates) the conversation's notice; `reply` opens it, ready to type. */
  show(item: ChatNewsItem, reply: () => void): void;
  /** The conversation was read (here or in another tab): its notice is old news. */
  clear(nodeId: string): void;
}

/**
 * Chat news for the whole tab, wherever the person is in the workspace. The node counts a message
 * as unread only when no tab shows its conversation, so a rising count is exactly a message
 * nobody is looking at: it becomes a notice here, and a desktop notification when allowed and
 * the page is not in view.
 */
export class ChatNews {
  readonly unread: UnreadCounts;
  readonly #host: PaneHost;
  readonly #view: NewsView;
  readonly #peers: PeerDirectory;
  #baseline: Readonly<Record<string, number>> | null = null;
  /** Messages announced per conversation since it was last read, so a notice can say "+2 more". */
  readonly #fresh = new Map<string, number>();
  /** The newest announcement per conversation; an older one still fetching its preview gives way. */
  readonly #latest = new Map<string, number>();
  #seq = 0;

  constructor(host: PaneHost, view: NewsView) {
    this.#host = host;
    this.#view = view;
    this.unread = sharedUnread(host);
    this.#peers = new PeerDirectory(host);
    this.#peers.start();
    host.subscribe("chat", (frame) => {
      const parsed = chatServerEvent.safeParse(frame);
      if (parsed.success && parsed.data.event === "unread") this.#onCounts(parsed.data.data.counts);
    });
  }

  #onCounts(counts: Readonly<Record<string, number>>): void {
    const rises = unreadRises(this.#baseline, counts);
    this.#baseline = counts;
    for (const id of [...this.#fresh.keys()]) {
      if ((counts[id] ?? 0) > 0) continue;
      this.#fresh.delete(id);
      this.#view.clear(id);
      desktopNotices.close(desktopTag(id));
    }
    for (const rise of rises) void this.#announce(rise);
  }

  async #announce(rise: Rise): Promise<void> {
    const { nodeId } = rise;
    const added = (this.#fresh.get(nodeId) ?? 0) + rise.added;
    this.#fresh.set(nodeId, added);
    const mine = ++this.#seq;
    this.#latest.set(nodeId, mine);
    let text: string | null = null;
    try {
      const path = `/api/chat/${encodeURIComponent(nodeId)}/messages?limit=1`;
      const last = (await this.#host.api.get(path, chatPage)).messages.at(-1);
      if (last?.direction === "in") text = last.text;
    } catch {
      // The notice still says who wrote; the conversation shows what.
    }
    const sender = this.#peers.get(nodeId)?.node_name || "A paired node";
    const preview =
      text === null ? (added > 1 ? `${added} new messages` : "New message") : newsPreview(text, added);
    const reply = () => replyTo(this.#host, nodeId);
    // Read while the preview was on its way, or newer news came: this one has nothing to say.
    if (!this.#fresh.has(nodeId) || this.#latest.get(nodeId) !== mine) return;
    this.#view.show({ nodeId, sender, preview }, reply);
    desktopNotices.show(sender, preview, desktopTag(nodeId), reply);
  }
}

/** One desktop notification per conversation: a newer one replaces the older. */
function desktopTag(nodeId: string): string {
  return `weft-chat-${nodeId}`;
}

/** News as toasts: one per conversation, replaced as more comes, with Reply. */
function toastView(host: PaneHost): NewsView {
  const key = (nodeId: string) => `chat:${nodeId}`;
  return {
    show(item, reply) {
      host.notify(
        item.preview,
        "info",
        { label: "Reply", run: reply },
        { title: item.sender, key: key(item.nodeId) },
      );
    },
    clear: (nodeId) => host.dismissToast(key(nodeId)),
  };
}

let started: ChatNews | undefined;

/**
 * Starts the tab's chat news once, for the life of the tab: the Chat pane's `start`, which the
 * shell runs at boot, so news and the unread badge work while no Chat tab is open.
 */
export function startChatNews(host: PaneHost, view: NewsView = toastView(host)): ChatNews {
  started ??= new ChatNews(host, view);
  return started;
}
