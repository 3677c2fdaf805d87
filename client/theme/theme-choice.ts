/**
 * The shell's side of the `appearance.theme` setting. The choice lives on the node; the document
 * carries it as `data-theme` on <html>, which theme.css turns into `color-scheme`, so every token
 * (and every pane built on them) switches at once. `system` leaves the scheme to the browser,
 * which follows the operating system live.
 */

import type { PaneHost } from "../../plugins/sdk/host.ts";
import { THEME_SETTING, type ThemeChoice, themeChoice } from "../../protocol/appearance.ts";
import { systemServerEvent } from "../../protocol/browser.ts";
import { type SettingsValues, settingsValues } from "../../protocol/rest.ts";

/** The last choice seen, so a reload paints in it before the node has answered. */
const REMEMBERED_KEY = "weft.theme";

export type Scheme = "light" | "dark";

/** Puts a choice on the document and remembers it for the next load. */
export function applyTheme(choice: ThemeChoice): void {
  document.documentElement.dataset.theme = choice;
  try {
    localStorage.setItem(REMEMBERED_KEY, choice);
  } catch {
    // Storage may be blocked; the node's value still arrives a moment later.
  }
}

/** The choice on the document now. */
export function currentTheme(): ThemeChoice {
  const parsed = themeChoice.safeParse(document.documentElement.dataset.theme);
  return parsed.success ? parsed.data : "system";
}

/** The scheme the user sees for a choice, given whether the system prefers dark. */
export function shownScheme(choice: ThemeChoice, systemDark: boolean): Scheme {
  if (choice === "system") return systemDark ? "dark" : "light";
  return choice;
}

/** What "Toggle theme" picks: the opposite of what is on screen, as a fixed choice. */
export function toggledTheme(choice: ThemeChoice, systemDark: boolean): Scheme {
  return shownScheme(choice, systemDark) === "dark" ? "light" : "dark";
}

export function systemPrefersDark(): boolean {
  return typeof matchMedia === "function" && matchMedia("(prefers-color-scheme: dark)").matches;
}

/** Applies the remembered choice; called first thing at boot. */
export function applyRememberedTheme(): void {
  let stored: string | null = null;
  try {
    stored = localStorage.getItem(REMEMBERED_KEY);
  } catch {
    stored = null;
  }
  const parsed = themeChoice.safeParse(stored);
  if (parsed.success) document.documentElement.dataset.theme = parsed.data;
}

function applyFromValues(values: SettingsValues): void {
  if (!(THEME_SETTING in values)) return;
  const parsed = themeChoice.safeParse(values[THEME_SETTING]);
  // A value this build does not know falls back to the system's scheme rather than a wrong one.
  applyTheme(parsed.success ? parsed.data : "system");
}

/**
 * Keeps the document on the node's choice: read now and after every reconnect (changes made
 * while offline were missed), followed live through `system:settings_changed`. Returns the stop.
 */
export function followThemeSetting(host: Pick<PaneHost, "api" | "subscribe" | "onReconnect">): () => void {
  const load = async () => {
    try {
      applyFromValues(await host.api.get("/api/settings", settingsValues));
    } catch {
      // Offline: the remembered choice stays until the reconnect reads it again.
    }
  };
  void load();
  const offFrames = host.subscribe("system", (frame) => {
    const parsed = systemServerEvent.safeParse(frame);
    if (parsed.success && parsed.data.event === "settings_changed") applyFromValues(parsed.data.data.values);
  });
  const offReconnect = host.onReconnect(() => void load());
  return () => {
    offFrames();
    offReconnect();
  };
}

/** Stores a choice on the node and applies it here at once; other tabs follow the broadcast. */
export async function saveTheme(host: Pick<PaneHost, "api">, choice: ThemeChoice): Promise<void> {
  applyFromValues(await host.api.put("/api/settings", { [THEME_SETTING]: choice }, settingsValues));
}
