import { z } from "zod";
import { defineSetting } from "./registry.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * Ceiling of `http.maxBodyBytes`, and the cap Bun itself enforces on every request body: the
 * setting can change at run time, Bun's cap cannot, so Bun holds the ceiling and the app the setting.
 */
export const HARD_MAX_BODY_BYTES = 64 * MiB;

export const maxBodyBytes = defineSetting({
  key: "http.maxBodyBytes",
  schema: z.int().min(KiB).max(HARD_MAX_BODY_BYTES),
  default: 1 * MiB,
  description: "Largest request body the HTTP API accepts, in bytes; larger bodies get 413 unread.",
});

/** Settings of the HTTP listener and the REST API. */
export const httpSettings = [maxBodyBytes];
