import type { PaneManifest } from "../../protocol/pane.ts";

export const welcomeManifest = {
  id: "welcome",
  title: "Get started",
  icon: "✦",
  description: "Name this node, pair with someone and share a note: the first steps, ticked off as you go.",
} satisfies PaneManifest;
