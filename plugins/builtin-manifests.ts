import type { PaneManifest } from "../protocol/pane.ts";
import { aboutManifest } from "./about/manifest.ts";
import { agentManifest } from "./agent/manifest.ts";
import { chatManifest } from "./chat/manifest.ts";
import { lobbyManifest } from "./lobby/manifest.ts";
import { monitorManifest } from "./monitor/manifest.ts";
import { peersManifest } from "./peers/manifest.ts";
import { scratchManifest } from "./scratch/manifest.ts";
import { settingsManifest } from "./settings/manifest.ts";
import { welcomeManifest } from "./welcome/manifest.ts";

/**
 * Manifests of the panes built into weft, importable without any UI code so the server can list
 * them. Each pane's `index.ts` passes the same manifest to `definePane`.
 */
export const builtinManifests: PaneManifest[] = [
  welcomeManifest,
  aboutManifest,
  peersManifest,
  lobbyManifest,
  monitorManifest,
  chatManifest,
  agentManifest,
  settingsManifest,
  scratchManifest,
];
