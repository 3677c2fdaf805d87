import type { PaneManifest } from "../../protocol/pane.ts";

export const scratchManifest = {
  id: "scratch",
  title: "Scratch",
  icon: "✎",
  description: "A plain-text scratchpad you can share and edit together live.",
  collab: { room: "shared" },
} satisfies PaneManifest;
