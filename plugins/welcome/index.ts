import { definePane } from "../sdk/index.ts";
import { welcomeManifest } from "./manifest.ts";
import WelcomePane from "./welcome-pane.svelte";

/** The Get started pane: what a brand-new node opens on, and reachable from the palette after. */
export const welcomePane = definePane({ ...welcomeManifest, component: WelcomePane });
