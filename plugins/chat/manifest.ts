import type { PaneManifest } from "../../protocol/pane.ts";

export const chatManifest = {
  id: "chat",
  title: "Chat",
  icon: "✉",
  description: "1:1 messages with paired peers, kept on both nodes and queued while one is offline.",
  group: "network",
} satisfies PaneManifest;
