import { z } from "zod";
import { pluginPermissions } from "./plugin.ts";

/** A pane id: lowercase, starts with a letter, safe in a folder name, a URL and a room key. */
export const paneId = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,39}$/, "must be 1-40 of a-z, 0-9 and '-', starting with a letter");

/** How a pane collaborates over the peer fabric (docs/architecture.md). */
export const collabDecl = z.strictObject({
  room: z.enum(["shared", "instance"]),
  key: z
    .string()
    .regex(/^[a-z0-9-]{1,40}$/)
    .optional(),
  autoShare: z.boolean().optional(),
});
export type CollabDecl = z.infer<typeof collabDecl>;

/** Panes that belong together; opening one shows toggles for the others. */
export const paneGroup = z.enum(["network"]);
export type PaneGroup = z.infer<typeof paneGroup>;

/** What the host knows of a pane before it loads any of its code. */
export const paneManifest = z.strictObject({
  id: paneId,
  title: z.string().min(1).max(60),
  /** One emoji or a short glyph shown in tabs and the palette. */
  icon: z.string().max(8).optional(),
  description: z.string().max(200).optional(),
  group: paneGroup.optional(),
  collab: collabDecl.optional(),
  /** Keyboard-reachable commands open it; hidden panes are opened only by other panes. */
  hidden: z.boolean().optional(),
});
export type PaneManifest = z.infer<typeof paneManifest>;

/** One row of `GET /api/panes`. */
export const paneListing = paneManifest.extend({
  source: z.enum(["builtin", "plugin"]),
  version: z.string(),
  /** Why the pane could not be loaded; absent when it is usable. */
  error: z.string().optional(),
  /** A usable plugin's ESM bundle, relative to `/plugins/<id>/`; the UI imports it from there. */
  entry: z.string().optional(),
});
export type PaneListing = z.infer<typeof paneListing>;

/** `pane.json` of a third-party pane in `<data-dir>/plugins/<id>/` (docs/architecture.md). */
export const pluginManifest = z.strictObject({
  id: paneId,
  name: z.string().min(1).max(60),
  version: z.string().regex(/^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/, "must be a semver version like 1.0.0"),
  /** Range of weft versions the pane works with, e.g. `>=0.1.0 <1`. */
  engine: z.string().min(1).max(60),
  /** The ESM bundle, relative to the pane's folder. */
  entry: z.string().min(1).max(200),
  icon: z.string().max(8).optional(),
  description: z.string().max(200).optional(),
  collab: collabDecl.optional(),
  /** What it asks its person for beyond its own frame and rooms (protocol/plugin.ts). */
  permissions: pluginPermissions.optional(),
});
export type PluginManifest = z.infer<typeof pluginManifest>;
