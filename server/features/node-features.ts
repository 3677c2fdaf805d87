import { agentFeature } from "../agents/agent-feature.ts";
import { chatFeature } from "../chat/chat-feature.ts";
import { collabFeature } from "../collab/collab-feature.ts";
import { lanFeature } from "../lan/lan-feature.ts";
import { lobbyFeature } from "../lobby/lobby-feature.ts";
import { networkFeature } from "../network/network-feature.ts";
import { noticesFeature } from "../notices/notices-feature.ts";
import { pluginsFeature } from "../plugins/plugins-feature.ts";
import type { FeatureDefinition } from "./feature.ts";
import { systemFeature } from "./system-feature.ts";

/**
 * The features a node runs, in the order they are built and started (stopped in reverse). A new
 * feature is a folder with a `defineFeature` and a line here.
 */
export const nodeFeatures: readonly FeatureDefinition[] = [
  systemFeature,
  networkFeature,
  lobbyFeature,
  lanFeature,
  noticesFeature,
  chatFeature,
  collabFeature,
  agentFeature,
  pluginsFeature,
];
