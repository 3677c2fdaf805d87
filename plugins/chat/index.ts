import { definePane } from "../sdk/index.ts";
import ChatPane from "./chat-pane.svelte";
import { chatManifest } from "./manifest.ts";

/** The Chat pane: one conversation per trusted peer, with delivery and read states. */
export const chatPane = definePane({ ...chatManifest, component: ChatPane });
