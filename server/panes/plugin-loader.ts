import { readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { join } from "node:path";
import type { z } from "zod";
import { type PaneListing, type PluginManifest, paneId, pluginManifest } from "../../protocol/pane.ts";
import type { PluginPermission } from "../../protocol/plugin.ts";
import type { Logger } from "../log.ts";
import { engineProblem } from "./engine-range.ts";
import type { PaneCatalog } from "./pane-catalog.ts";
import { entryPathProblem, entrySegments, fileInside } from "./plugin-paths.ts";

/** A `pane.json` larger than this is refused unread; a manifest is a few hundred bytes. */
const MAX_MANIFEST_BYTES = 64 * 1024;

/** A usable plugin's `pane.json`, with `permissions` filled in (none asked: `[]`). */
export type LoadedManifest = PluginManifest & { permissions: PluginPermission[] };

/** One folder of `<data-dir>/plugins/`, as the start-up scan judged it. */
export interface PluginRecord {
  /** The folder's name; a usable plugin's id is the same. */
  folder: string;
  /** Real path of the folder (symlinks resolved): nothing outside it is ever served. */
  root: string;
  /** Set only for a usable plugin. */
  manifest?: LoadedManifest;
  /** Why the plugin was refused; absent when it is usable. */
  error?: string;
  /** Its row in `GET /api/panes`. */
  listing: PaneListing;
}

export interface ScanOptions {
  /** Ids of the built-in panes; a plugin may not take one. */
  builtinIds: ReadonlySet<string>;
  /** This weft's version, checked against each `engine` range. */
  version: string;
}

/**
 * Reads every folder in `dir` and judges its `pane.json` before any of its code can be served:
 * the schema, the id against the folder name and the built-in panes, the engine range, and the
 * entry (relative, inside the folder even through symlinks, an existing file). Never throws for
 * a bad plugin: each is returned with `error` set so the user can see why it did not load.
 */
export function scanPlugins(dir: string, options: ScanOptions): PluginRecord[] {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return [];
  }
  const records: PluginRecord[] = [];
  for (const folder of names) {
    // Dotfiles and loose files (a README, .DS_Store) are not panes.
    if (folder.startsWith(".")) continue;
    let root: string;
    try {
      root = realpathSync(join(dir, folder));
      if (!statSync(root).isDirectory()) continue;
    } catch {
      continue;
    }
    records.push(judge(folder, root, options));
  }
  return records;
}

function judge(folder: string, root: string, options: ScanOptions): PluginRecord {
  const read = readManifest(root);
  if ("error" in read) return refused(folder, root, read.raw, read.error);
  const parsed = pluginManifest.safeParse(read.raw);
  if (!parsed.success) return refused(folder, root, read.raw, describeIssues(read.raw, parsed.error));
  const manifest: LoadedManifest = { ...parsed.data, permissions: parsed.data.permissions ?? [] };
  const fail = (error: string) => refused(folder, root, read.raw, error);

  if (manifest.id !== folder) return fail(`id "${manifest.id}" does not match its folder "${folder}"`);
  if (options.builtinIds.has(manifest.id)) {
    return fail(`id "${manifest.id}" is taken by a built-in pane`);
  }
  const engine = engineProblem(manifest.engine, options.version);
  if (engine) return fail(engine);
  const entryProblem = entryPathProblem(manifest.entry);
  if (entryProblem) return fail(entryProblem);
  const entry = fileInside(root, entrySegments(manifest.entry));
  if (!entry.ok) {
    const why = {
      missing: `entry "${manifest.entry}" does not exist`,
      outside: `entry "${manifest.entry}" is a link that leads outside the pane's folder`,
      "not-a-file": `entry "${manifest.entry}" is not a file`,
    }[entry.why];
    return fail(why);
  }

  const { name, version, icon, description, collab } = manifest;
  const listing: PaneListing = { id: manifest.id, title: name, source: "plugin", version };
  if (icon !== undefined) listing.icon = icon;
  if (description !== undefined) listing.description = description;
  if (collab !== undefined) listing.collab = collab;
  listing.entry = entrySegments(manifest.entry).join("/");
  return { folder, root, manifest, listing };
}

type ReadResult = { raw: unknown } | { raw: unknown; error: string };

function readManifest(root: string): ReadResult {
  const file = fileInside(root, ["pane.json"]);
  if (!file.ok) {
    const why = file.why === "outside" ? "pane.json is a link that leads outside the folder" : "no pane.json";
    return { raw: undefined, error: why };
  }
  if (statSync(file.path).size > MAX_MANIFEST_BYTES) {
    return { raw: undefined, error: `pane.json is larger than ${MAX_MANIFEST_BYTES / 1024} KiB` };
  }
  try {
    return { raw: JSON.parse(readFileSync(file.path, "utf8")) };
  } catch (err) {
    return { raw: undefined, error: `pane.json is not valid JSON: ${(err as Error).message}` };
  }
}

/** Names the offending fields, so the author knows what to fix without reading the schema. */
function describeIssues(raw: unknown, error: z.ZodError): string {
  const present = isRecord(raw) ? raw : undefined;
  // One reason per field: zod may add a second, less telling one (an array's `max` checked
  // against a string that is no array at all).
  const seen = new Set<string>();
  const issues = error.issues.filter((issue) => {
    const key = issue.code === "unrecognized_keys" ? "\0keys" : issue.path.map(String).join(".");
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const parts = issues.slice(0, 3).map((issue) => {
    if (issue.code === "unrecognized_keys") {
      return `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
    }
    const field = issue.path.map(String).join(".");
    if (field === "") return "it must be a JSON object";
    const top = String(issue.path[0]);
    if (issue.code === "invalid_type" && present && !(top in present)) return `field "${field}" is missing`;
    const given = valueAt(raw, issue.path);
    if (issue.code === "invalid_value" && issue.values.length > 0) {
      const options = issue.values.map((v) => JSON.stringify(v)).join(", ");
      return `field "${field}": ${quoted(given)} is not one of ${options}`;
    }
    const repeated = Array.isArray(given) ? given.find((v, i) => given.indexOf(v) !== i) : undefined;
    if (issue.code === "custom" && repeated !== undefined) {
      return `field "${field}": ${issue.message} (${quoted(repeated)})`;
    }
    return `field "${field}": ${issue.message}`;
  });
  return `bad pane.json: ${parts.join("; ")}`;
}

/** What the manifest holds at `path`; undefined where there is nothing. */
function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let at: unknown = raw;
  for (const key of path) {
    if (typeof at !== "object" || at === null) return undefined;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at;
}

/** A value from the manifest as the author wrote it, cut short: it ends up in a log line. */
function quoted(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function refused(folder: string, root: string, raw: unknown, error: string): PluginRecord {
  const r = isRecord(raw) ? raw : {};
  const text = (v: unknown, max: number) =>
    typeof v === "string" && v.trim() !== "" && v.length <= max ? v : undefined;
  const listing: PaneListing = {
    id: listingId(folder),
    title: text(r.name, 60) ?? folder.slice(0, 60),
    source: "plugin",
    version: text(r.version, 40) ?? "unknown",
    error,
  };
  const icon = text(r.icon, 8);
  if (icon) listing.icon = icon;
  const description = text(r.description, 200);
  if (description) listing.description = description;
  return { folder, root, error, listing };
}

/**
 * A refused plugin is listed under its folder name; one that is no valid pane id is made into
 * one, so the listing still matches its schema and the user still sees the reason.
 */
function listingId(folder: string): string {
  if (paneId.safeParse(folder).success) return folder;
  const cleaned = folder.toLowerCase().replace(/[^a-z0-9-]/g, "-");
  return (/^[a-z]/.test(cleaned) ? cleaned : `p-${cleaned}`).slice(0, 40);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Scans `dir` into the catalog and logs each refusal with its reason. */
export function loadPlugins(catalog: PaneCatalog, dir: string, version: string, log: Logger): PluginRecord[] {
  const records = scanPlugins(dir, { builtinIds: catalog.builtinIds(), version });
  catalog.addPlugins(records);
  for (const r of records) {
    if (r.error) log.warn("plugin refused", { folder: r.folder, reason: r.error });
    else log.info("plugin loaded", { id: r.listing.id, version: r.listing.version });
  }
  return records;
}
