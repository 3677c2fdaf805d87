/**
 * A third-party pane built as its own bundle (`bun run build:example`) and dropped into a
 * weft's `<data-dir>/plugins/shared-counter/` folder with its `pane.json`. The bundle's default
 * export is what the host mounts.
 */
import { definePluginPane } from "../../sdk/index.ts";
import CounterPane from "./counter-pane.svelte";

export default definePluginPane(CounterPane);
