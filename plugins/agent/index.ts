import { definePane } from "../sdk/index.ts";
import AgentPane from "./agent-pane.svelte";
import { sharedAgentStore } from "./agent-store.svelte.ts";
import { agentManifest } from "./manifest.ts";

/**
 * The Agent pane: ask a peer's agent and follow the answer; review, approve or reject what peers
 * ask this node's agent; set each peer's approval policy. Its badge (questions waiting for this
 * person) runs from boot, whether or not an Agent tab is open.
 */
export const agentPane = definePane({
  ...agentManifest,
  component: AgentPane,
  start: (host) => void sharedAgentStore(host),
});
