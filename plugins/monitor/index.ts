import { definePane } from "../sdk/index.ts";
import { monitorManifest } from "./manifest.ts";
import MonitorPane from "./monitor-pane.svelte";

/** The Monitor pane: every link's status, RTT and traffic, as a table and live charts. */
export const monitorPane = definePane({ ...monitorManifest, component: MonitorPane });
