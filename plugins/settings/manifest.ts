import type { PaneManifest } from "../../protocol/pane.ts";

export const settingsManifest = {
  id: "settings",
  title: "Settings",
  icon: "⚙",
  description: "Every setting of this node, checked as you type.",
} satisfies PaneManifest;
