import { definePane } from "../sdk/index.ts";
import { settingsManifest } from "./manifest.ts";
import SettingsPane from "./settings-pane.svelte";

/** The Settings pane: every setting of this node, checked as you type. */
export const settingsPane = definePane({ ...settingsManifest, component: SettingsPane });
