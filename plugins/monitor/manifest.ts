import type { PaneManifest } from "../../protocol/pane.ts";

export const monitorManifest = {
  id: "monitor",
  title: "Monitor",
  icon: "∿",
  description: "Link health of every peer: round-trip time and traffic, live.",
  group: "network",
} satisfies PaneManifest;
