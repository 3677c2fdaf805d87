import { definePane } from "../sdk/index.ts";
import { startChatNews } from "./chat-news.svelte.ts";
import ChatPane from "./chat-pane.svelte";
import { chatManifest } from "./manifest.ts";

/**
 * The Chat pane: one conversation per trusted peer, with delivery and read states. Its news and
 * unread badge run from boot, whether or not a Chat tab is open.
 */
export const chatPane = definePane({
  ...chatManifest,
  component: ChatPane,
  start: (host) => void startChatNews(host),
});
