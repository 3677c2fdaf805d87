import type { PaneManifest } from "../../protocol/pane.ts";

export const agentManifest = {
  id: "agent",
  title: "Agent",
  icon: "✦",
  description: "Ask a peer's agent a question, and decide what peers may ask yours.",
  group: "network",
} satisfies PaneManifest;
