import type { PaneManifest } from "../../protocol/pane.ts";

export const lobbyManifest = {
  id: "lobby",
  title: "Lobby",
  icon: "⌂",
  description: "Meet people through a lobby server: who is online, rooms to host and join.",
  group: "network",
} satisfies PaneManifest;
