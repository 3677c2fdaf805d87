import { z } from "zod";
import { defineSetting } from "../settings/registry.ts";

/** The lobby client's settings (docs/architecture.md, "The lobby"); the lobby feature honours them. */
export const lobbyUrl = defineSetting({
  key: "network.lobbyUrl",
  schema: z
    .string()
    .trim()
    .max(300)
    .refine(
      (v) => v === "" || /^(wss?|https?):\/\/[^\s/]+(\/\S*)?$/.test(v),
      "must be a ws://, wss://, http:// or https:// URL, or blank",
    ),
  default: "",
  description: "Lobby to connect to, e.g. ws://lobby.example:7400. Blank: no lobby.",
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
