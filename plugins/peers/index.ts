import { definePane } from "../sdk/index.ts";
import { peersManifest } from "./manifest.ts";
import PeersPane from "./peers-pane.svelte";

/** The Peers pane: this node, its paired peers, and pairing by invite or address. */
export const peersPane = definePane({ ...peersManifest, component: PeersPane });
