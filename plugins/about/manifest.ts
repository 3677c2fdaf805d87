import type { PaneManifest } from "../../protocol/pane.ts";

export const aboutManifest = {
  id: "about",
  title: "About",
  icon: "ℹ",
  description: "This node's name, id, version and data dir.",
} satisfies PaneManifest;
