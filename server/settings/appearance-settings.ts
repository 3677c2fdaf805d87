import { THEME_SETTING, themeChoice } from "../../protocol/appearance.ts";
import { defineSetting } from "./registry.ts";

/**
 * The UI's colour theme. Kept on the node rather than in one browser so every tab shows the same
 * choice, and a change in one tab reaches the others through `settings_changed`.
 */
export const theme = defineSetting({
  key: THEME_SETTING,
  schema: themeChoice,
  default: "system",
  description: "Colour theme of the UI: light, dark, or system (follows the operating system).",
});

export const appearanceSettings = [theme];
