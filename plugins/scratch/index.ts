import { definePane } from "../sdk/index.ts";
import { scratchManifest } from "./manifest.ts";
import ScratchPane from "./scratch-pane.svelte";

/** The Scratch pane: one shared plain text (room `scratch:main`), the reference collab consumer. */
export const scratchPane = definePane({ ...scratchManifest, component: ScratchPane });
