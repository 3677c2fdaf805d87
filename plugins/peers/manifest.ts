import type { PaneManifest } from "../../protocol/pane.ts";

export const peersManifest = {
  id: "peers",
  title: "Peers",
  icon: "⇄",
  description: "The nodes this one is paired with; invite, redeem and dial.",
  group: "network",
} satisfies PaneManifest;
