import type { PaneListing, PaneManifest } from "../../protocol/pane.ts";
import { paneManifest } from "../../protocol/pane.ts";
import { WEFT_VERSION } from "../version.ts";
import type { PluginRecord } from "./plugin-loader.ts";

/**
 * The panes this node offers: the built-in ones, and the third-party plugins found in the data
 * dir. Every manifest is validated before it is listed; a refused plugin is listed too, with its
 * reason in `error`, but its folder is never served.
 */
export class PaneCatalog {
  readonly #panes = new Map<string, PaneListing>();
  /** Refused plugins; kept apart since one may carry the id of a built-in it collided with. */
  readonly #refused: PaneListing[] = [];
  /** Real folder of each usable plugin, by id. */
  readonly #pluginRoots = new Map<string, string>();

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
        this.#refused.push({ ...listing, error: r.error ?? `id "${listing.id}" is taken by another pane` });
        continue;
      }
      this.#panes.set(r.listing.id, r.listing);
      this.#pluginRoots.set(r.listing.id, r.root);
    }
    return this;
  }

  builtinIds(): Set<string> {
    return new Set([...this.#panes.values()].filter((p) => p.source === "builtin").map((p) => p.id));
  }

  /** The real folder of a usable plugin; undefined for refused, built-in and unknown ids. */
  pluginRoot(id: string): string | undefined {
    return this.#pluginRoots.get(id);
  }

  /** A usable pane by id (built-in or a plugin that loaded); undefined for refused and unknown ids. */
  usable(id: string): PaneListing | undefined {
    return this.#panes.get(id);
  }

  list(): PaneListing[] {
    return [...this.#panes.values(), ...this.#refused];
  }
}
