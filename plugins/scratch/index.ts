import { definePane } from "../sdk/index.ts";
import { scratchManifest } from "./manifest.ts";
import ScratchPane from "./scratch-pane.svelte";

/** The Scratch pane: plain-text notes, each a room that may be shared; the reference collab consumer. */
export const scratchPane = definePane({ ...scratchManifest, component: ScratchPane });
