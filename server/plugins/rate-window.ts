/**
 * At most `limit` events per key in any `windowMs` (a sliding window of their times). Keys are
 * installed plugins' ids, so what it keeps is bounded by the plugins folder.
 */
export class RateWindow {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #times = new Map<string, number[]>();

  constructor(limit: number, windowMs: number, now: () => number = Date.now) {
    this.#limit = limit;
    this.#windowMs = windowMs;
    this.#now = now;
  }

  /** Counts one event for `key` if there is room; otherwise how long until there is, in ms. */
  take(key: string): { ok: true } | { ok: false; retryInMs: number } {
    const now = this.#now();
    const recent = (this.#times.get(key) ?? []).filter((t) => now - t < this.#windowMs);
    if (recent.length >= this.#limit) {
      this.#times.set(key, recent);
      return { ok: false, retryInMs: (recent[0] ?? now) + this.#windowMs - now };
    }
    recent.push(now);
    this.#times.set(key, recent);
    return { ok: true };
  }
}
