/** How long to wait between reconnection attempts: `baseMs` doubling up to `maxMs`. */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** Fraction of each delay added or taken at random (0.3 = ±30 %), so nodes a lobby restart dropped do not all return at once. */
  jitter?: number;
}

/** Exponential backoff with jitter; `reset()` after a connection that held. */
export class Backoff {
  readonly #opts: Required<BackoffOptions>;
  #attempt = 0;

  constructor(opts: BackoffOptions) {
    this.#opts = { jitter: 0.3, ...opts };
  }

  /** The delay before the next attempt, in milliseconds; each call doubles the one after. */
  next(): number {
    const { baseMs, maxMs, jitter } = this.#opts;
    const plain = Math.min(maxMs, baseMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    const spread = plain * jitter * (Math.random() * 2 - 1);
    return Math.max(0, Math.round(plain + spread));
  }

  reset(): void {
    this.#attempt = 0;
  }
}
