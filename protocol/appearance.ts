import { z } from "zod";

/** The `appearance.theme` setting: a fixed scheme, or `system` to follow the operating system's. */
export const themeChoice = z.enum(["system", "light", "dark"]);
export type ThemeChoice = z.infer<typeof themeChoice>;

/** The settings key the theme is stored under. */
export const THEME_SETTING = "appearance.theme";
