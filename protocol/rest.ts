import { z } from "zod";
import { paneListing } from "./pane.ts";

/** Every `/api` error body. `field` names the offending key or body field, when there is one. */
export const apiError = z.object({ error: z.string(), field: z.string().optional() });
export type ApiError = z.infer<typeof apiError>;

export const healthResponse = z.object({
  status: z.literal("ok"),
  version: z.string(),
  node_id: z.string(),
  uptime_s: z.number(),
});
export type HealthResponse = z.infer<typeof healthResponse>;

export const identityResponse = z.object({
  node_id: z.string(),
  public_key: z.string(),
  node_name: z.string(),
  capabilities: z.array(z.string()),
  addresses: z.array(z.string()),
});
export type IdentityResponse = z.infer<typeof identityResponse>;

/** `GET /api/settings`: every declared key with its current value (default when unset). */
export const settingsValues = z.record(z.string(), z.unknown());
export type SettingsValues = z.infer<typeof settingsValues>;

/** `PUT /api/settings`: a partial map; every key is validated and all are written, or none. */
export const settingsPatch = z.record(z.string(), z.unknown());

/** `GET /api/settings/schema`: what the Settings pane needs to render and validate each key. */
export const settingDescriptor = z.object({
  key: z.string(),
  description: z.string(),
  default: z.unknown(),
  /** JSON Schema of the value, derived from the setting's zod schema. */
  schema: z.record(z.string(), z.unknown()),
  /** The key is overridden for this run by a CLI flag or environment variable. */
  overriddenBy: z.string().optional(),
  /** With `overriddenBy`: the value in effect for this run. */
  effective: z.unknown().optional(),
  /** A password or key: its value is never shown back, only whether it is set (`(set)`). */
  secret: z.boolean().optional(),
});
export const settingsSchemaResponse = z.object({ settings: z.array(settingDescriptor) });
export type SettingDescriptor = z.infer<typeof settingDescriptor>;

export const panesResponse = z.object({ panes: z.array(paneListing) });
export type PanesResponse = z.infer<typeof panesResponse>;

/** `GET /api/about`: facts the About pane shows that identity does not cover. */
export const aboutResponse = z.object({
  version: z.string(),
  protocol_version: z.number(),
  data_dir: z.string(),
  started_at: z.number(),
  listen_url: z.string(),
});
export type AboutResponse = z.infer<typeof aboutResponse>;
