import type { PaneListing, PaneManifest } from "../../protocol/pane.ts";
import { paneManifest } from "../../protocol/pane.ts";
import { WEFT_VERSION } from "../version.ts";

/**
 * The panes this node offers: built-in ones now, third-party plugins from the data dir once their
 * loader exists. Every manifest is validated before it is listed.
 */
export class PaneCatalog {
  readonly #panes = new Map<string, PaneListing>();

  addBuiltin(manifests: PaneManifest[]): this {
    for (const m of manifests) {
      const parsed = paneManifest.parse(m);
      if (this.#panes.has(parsed.id)) throw new Error(`pane ${parsed.id} is registered twice`);
      this.#panes.set(parsed.id, { ...parsed, source: "builtin", version: WEFT_VERSION });
    }
    return this;
  }

  list(): PaneListing[] {
    return [...this.#panes.values()];
  }
}
