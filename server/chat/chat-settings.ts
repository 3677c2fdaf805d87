import { z } from "zod";
import { defineSetting } from "../settings/registry.ts";

/** Largest chat message this node sends or stores, in UTF-8 bytes. */
export const maxMessageBytes = defineSetting({
  key: "chat.maxMessageBytes",
  schema: z
    .int()
    .min(256)
    .max(256 * 1024),
  default: 16 * 1024,
  description: "Largest chat message this node sends or accepts, in bytes of UTF-8.",
});

export const chatSettings = [maxMessageBytes];
