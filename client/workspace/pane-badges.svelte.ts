/**
 * The count each pane reported with `host.setBadge`, for the tab bar, the group strip and the page
 * title. One store for the whole tab: a pane may report while none of its tabs is open.
 */
class PaneBadges {
  #counts = $state.raw<Readonly<Record<string, number>>>({});

  set(paneId: string, count: number): void {
    const n = Number.isFinite(count) ? Math.max(0, Math.floor(count)) : 0;
    if (this.#counts[paneId] === n) return;
    this.#counts = { ...this.#counts, [paneId]: n };
  }

  /** The pane's count, or undefined when it never reported one (so it has no badge at all). */
  of(paneId: string): number | undefined {
    return this.#counts[paneId];
  }

  /** Every pane's count together, for the page title. */
  get total(): number {
    return Object.values(this.#counts).reduce((sum, n) => sum + n, 0);
  }
}

export const paneBadges = new PaneBadges();
