import { z } from "zod";
import { LOBBY_URLS_MAX_CHARS } from "../../protocol/lobby-channel.ts";
import { defineSetting } from "../settings/registry.ts";
import { parseLobbyUrls } from "./lobby-url.ts";

/** The lobby client's settings (docs/architecture.md, "The lobby"); the lobby feature honours them. */
export const lobbyUrl = defineSetting({
  key: "network.lobbyUrl",
  schema: z
    .string()
    .trim()
    .max(LOBBY_URLS_MAX_CHARS)
    .superRefine((v, ctx) => {
      if (v === "") return;
      try {
        parseLobbyUrls(v);
      } catch (err) {
        ctx.addIssue({ code: "custom", message: (err as Error).message });
      }
    }),
  default: "",
  description:
    "Lobby to connect to, e.g. ws://lobby.example:7400; several instances of one lobby separated by commas are tried in order. Blank: no lobby.",
});

export const lobbyListed = defineSetting({
  key: "network.lobbyListed",
  schema: z.boolean(),
  default: true,
  description: "List this node in the lobby's directory (name and key only; never its addresses).",
});

export const enableRelay = defineSetting({
  key: "network.enableRelay",
  schema: z.boolean(),
  default: true,
  description: "Reach peers through the lobby's relay when no direct path works (it sees only ciphertext).",
});

export const lobbySettings = [lobbyUrl, lobbyListed, enableRelay];
