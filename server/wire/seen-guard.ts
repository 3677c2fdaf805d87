/**
 * Remembers message ids for the timestamp window, so a captured signed frame cannot be replayed.
 * Bounded: ids older than the window go (a frame that old fails the timestamp check anyway), and
 * the oldest go first when it is full.
 */
export class SeenGuard {
  readonly #seen = new Map<string, number>();
  readonly #maxEntries: number;
  readonly #windowMs: number;

  constructor(options: { maxEntries?: number; windowMs?: number } = {}) {
    this.#maxEntries = options.maxEntries ?? 100_000;
    this.#windowMs = options.windowMs ?? 10 * 60_000;
  }

  /** True the first time an id is offered (and remembers it); false for a repeat. */
  firstTime(id: string, now = Date.now()): boolean {
    const at = this.#seen.get(id);
    if (at !== undefined && now - at < this.#windowMs) return false;
    this.#seen.delete(id);
    // Insertion order is time order: the expired ids are at the front.
    for (const [old, seenAt] of this.#seen) {
      if (now - seenAt < this.#windowMs) break;
      this.#seen.delete(old);
    }
    this.#seen.set(id, now);
    if (this.#seen.size > this.#maxEntries) {
      const oldest = this.#seen.keys().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
    return true;
  }

  /** How many ids are remembered now. */
  get size(): number {
    return this.#seen.size;
  }
}
