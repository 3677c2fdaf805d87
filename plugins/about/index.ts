import { definePane } from "../sdk/index.ts";
import AboutPane from "./about-pane.svelte";
import { aboutManifest } from "./manifest.ts";

/** The About pane: this node's name, id, public key, version and data dir. */
export const aboutPane = definePane({ ...aboutManifest, component: AboutPane });
