import { definePane } from "../sdk/index.ts";
import LobbyPane from "./lobby-pane.svelte";
import { sharedLobby } from "./lobby-store.svelte.ts";
import { lobbyManifest } from "./manifest.ts";

/**
 * The Lobby pane: the node's lobby connection, who is online there, rooms this node hosts and
 * rooms to join. Its badge (guests waiting to be let in) runs from boot, whether or not a Lobby
 * tab is open.
 */
export const lobbyPane = definePane({
  ...lobbyManifest,
  component: LobbyPane,
  start: (host) => void sharedLobby(host),
});
