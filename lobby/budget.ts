/**
 * A token bucket whose takes may cost more than one token: bytes for the relay's byte budget,
 * one per frame otherwise. Refilled lazily on each take, so an idle node costs nothing.
 */
export class Bucket {
  #tokens: number;
  #last: number;
  readonly #rate: number;
  readonly #burst: number;

  constructor(ratePerSec: number, burst: number, now: number) {
    this.#rate = ratePerSec / 1000;
    this.#burst = burst;
    this.#tokens = burst;
    this.#last = now;
  }

  /** Takes `cost` tokens; false (and takes none) when fewer are left. */
  take(cost: number, now: number): boolean {
    const elapsed = now - this.#last;
    if (elapsed > 0) {
      this.#tokens = Math.min(this.#burst, this.#tokens + elapsed * this.#rate);
      this.#last = now;
    }
    if (this.#tokens < cost) return false;
    this.#tokens -= cost;
    return true;
  }
}

/**
 * Counts events in a window that starts with the first one and ends `windowMs` later: a node that
 * keeps misbehaving crosses `threshold` inside one window; one that slipped once starts over.
 */
export class StrikeCounter {
  #count = 0;
  #since = 0;
  readonly #threshold: number;
  readonly #windowMs: number;

  constructor(threshold: number, windowMs: number) {
    this.#threshold = threshold;
    this.#windowMs = windowMs;
  }

  /** Counts one; true once the count within the window passes the threshold. */
  strike(now: number): boolean {
    if (this.#count === 0 || now - this.#since > this.#windowMs) {
      this.#count = 0;
      this.#since = now;
    }
    this.#count += 1;
    return this.#count > this.#threshold;
  }
}
