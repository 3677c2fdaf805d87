import type { PaneParams } from "../../plugins/sdk/host.ts";

/**
 * Params handed from `openPane(id, params)` to the pane that opens. A pane that was not open yet
 * mounts after the call, so the params wait here until it listens; a pane already open hears them
 * at once. Only the latest unheard params of a pane are kept: an older ask is superseded.
 */
export class PaneIntents {
  readonly #listeners = new Map<string, Set<(params: PaneParams) => void>>();
  readonly #waiting = new Map<string, PaneParams>();

  deliver(paneId: string, params: PaneParams): void {
    const listeners = this.#listeners.get(paneId);
    if (!listeners || listeners.size === 0) {
      this.#waiting.set(paneId, params);
      return;
    }
    for (const listener of listeners) listener(params);
  }

  listen(paneId: string, listener: (params: PaneParams) => void): () => void {
    const set = this.#listeners.get(paneId) ?? new Set();
    this.#listeners.set(paneId, set);
    set.add(listener);
    const waiting = this.#waiting.get(paneId);
    if (waiting) {
      this.#waiting.delete(paneId);
      listener(waiting);
    }
    return () => set.delete(listener);
  }
}
