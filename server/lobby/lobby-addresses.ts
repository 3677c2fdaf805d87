import type { Backoff } from "./backoff.ts";

/**
 * Where a node looks for its lobby: one address, or the instances of one lobby in the order the
 * person listed them (docs/architecture.md, "Scale-out"). A registration that drops is tried again
 * at the same address first (a blip, or a lobby restarting in place); an attempt that fails moves
 * on to the next, soon, and once every address has failed in a row the backoff grows. So the nodes
 * of an instance that died are on another within a few seconds, and a lobby down everywhere is
 * not hammered.
 */
export class LobbyAddresses {
  readonly #urls: readonly string[];
  readonly #backoff: Backoff;
  readonly #spreadMs: number;
  #index = 0;
  /** Attempts failed in a row since the last registration. */
  #missed = 0;

  /**
   * @param urls normalised `/lobby-ws` URLs, at least one.
   * @param spreadMs a move to the next address waits a random time up to this, so the many nodes
   *   a dead instance dropped do not all reach the next one in the same instant.
   */
  constructor(urls: readonly string[], backoff: Backoff, spreadMs: number) {
    if (urls.length === 0) throw new RangeError("a lobby needs at least one address");
    this.#urls = urls;
    this.#backoff = backoff;
    this.#spreadMs = spreadMs;
  }

  get all(): readonly string[] {
    return this.#urls;
  }

  /** The address the next attempt goes to. */
  get current(): string {
    return this.#urls[this.#index] as string;
  }

  /** Registered at `current`: a later drop starts a new round from it. */
  registered(): void {
    this.#missed = 0;
  }

  /**
   * The wait before the next attempt, after one that ended. `moveOn`: it never registered, or the
   * lobby there said it is shutting down, so the next address is tried; otherwise the same one.
   */
  next(moveOn: boolean): number {
    if (!moveOn || this.#urls.length === 1) return this.#backoff.next();
    this.#index = (this.#index + 1) % this.#urls.length;
    this.#missed += 1;
    if (this.#missed % this.#urls.length === 0) return this.#backoff.next();
    return Math.round(Math.random() * this.#spreadMs);
  }
}
