import type { PaneListing, PaneManifest } from "../../protocol/pane.ts";
import { paneManifest } from "../../protocol/pane.ts";
import { FrameReports } from "../plugins/frame-reports.ts";
import { WEFT_VERSION } from "../version.ts";
import type { PluginRecord } from "./plugin-loader.ts";

/** Why `GET /api/panes` lists a plugin its person turned off, and the palette shows it disabled. */
export const TURNED_OFF = "turned off in Settings";

/**
 * The panes this node offers: the built-in ones, and the third-party plugins found in the data
 * dir. Every manifest is validated before it is listed; a refused plugin is listed too, with its
 * reason in `error`, but its folder is never served. A plugin its person turned off is listed
 * with `error` too, and is neither usable nor served, until it is turned on again.
 */
export class PaneCatalog {
  readonly #panes = new Map<string, PaneListing>();
  /** Refused plugins; kept apart since one may carry the id of a built-in it collided with. */
  readonly #refused: PaneListing[] = [];
  /** Real folder of each usable plugin, by id. */
  readonly #pluginRoots = new Map<string, string>();
  /** Every plugin folder as the catalog judged it, usable or refused, in scan order. */
  readonly #records: PluginRecord[] = [];
  /** Plugins their person turned off (server/plugins/plugins-feature.ts keeps this in step). */
  readonly #turnedOff = new Set<string>();
  /**
   * What the browser blocked in each plugin's frame. Kept here because both sides of it meet
   * here: the frame's report route (server/http/app.ts) and `GET /api/plugins` (a feature).
   */
  readonly frameReports = new FrameReports();

  addBuiltin(manifests: PaneManifest[]): this {
    for (const m of manifests) {
      const parsed = paneManifest.parse(m);
      if (this.#panes.has(parsed.id)) throw new Error(`pane ${parsed.id} is registered twice`);
      this.#panes.set(parsed.id, { ...parsed, source: "builtin", version: WEFT_VERSION });
    }
    return this;
  }

  /** Adds what the plugin scan found: usable ones as panes, refused ones as listings only. */
  addPlugins(records: readonly PluginRecord[]): this {
    for (const r of records) {
      if (r.error !== undefined || this.#panes.has(r.listing.id)) {
        const { entry: _, ...listing } = r.listing;
        const error = r.error ?? `id "${listing.id}" is taken by another pane`;
        this.#refused.push({ ...listing, error });
        this.#records.push({ folder: r.folder, root: r.root, error, listing: { ...listing, error } });
        continue;
      }
      this.#panes.set(r.listing.id, r.listing);
      this.#pluginRoots.set(r.listing.id, r.root);
      this.#records.push(r);
    }
    return this;
  }

  builtinIds(): Set<string> {
    return new Set([...this.#panes.values()].filter((p) => p.source === "builtin").map((p) => p.id));
  }

  /** The real folder of a usable plugin; undefined for refused, turned-off, built-in and unknown ids. */
  pluginRoot(id: string): string | undefined {
    return this.#turnedOff.has(id) ? undefined : this.#pluginRoots.get(id);
  }

  /** A usable pane by id (built-in or a plugin that loaded and is on); undefined otherwise. */
  usable(id: string): PaneListing | undefined {
    const pane = this.#panes.get(id);
    return pane?.source === "plugin" && this.#turnedOff.has(id) ? undefined : pane;
  }

  /** Every plugin folder the scan found, usable or refused, in scan order. */
  plugins(): readonly PluginRecord[] {
    return this.#records;
  }

  /**
   * One plugin by id: the usable one when there is one, else the first refused folder listed
   * under that id (a refused folder may share its id with a built-in or another refused one).
   */
  plugin(id: string): PluginRecord | undefined {
    return (
      this.#records.find((r) => r.listing.id === id && r.manifest) ??
      this.#records.find((r) => r.listing.id === id)
    );
  }

  /** Turns a plugin off (not usable, not served, listed with {@link TURNED_OFF}) or on again. */
  setTurnedOff(id: string, off: boolean): void {
    if (off) this.#turnedOff.add(id);
    else this.#turnedOff.delete(id);
  }

  list(): PaneListing[] {
    const panes = [...this.#panes.values()].map((p) => {
      if (p.source !== "plugin" || !this.#turnedOff.has(p.id)) return p;
      const { entry: _, ...listing } = p;
      return { ...listing, error: TURNED_OFF };
    });
    return [...panes, ...this.#refused];
  }
}
