import { type Logger, silentLogger } from "../../server/log.ts";
import { type BackplaneHealth, BackplaneUnavailableError } from "./backplane.ts";
import type { LinkEvents, StoreLink, StoreMessage } from "./store-link.ts";

/**
 * A leased backplane's (`leased-backplane.ts`) connection to its store across outages: the
 * connect, the refresh timer while started, noticing a loss, reconnecting with backoff, and the
 * health all this means. What a message, a refresh or a catch-up does is the backplane's; the
 * session only decides when, so what the backplane holds and how it reaches the store can be
 * read, and changed, apart.
 *
 * Generations: every connect and every loss bumps one, so what belongs to an older connection
 * (its messages, its loss, a retry or a catch-up begun on it) does nothing.
 */

/** What a store session calls back into: the backplane it connects. */
export interface StoreSessionOwner {
  /**
   * A message of the current connection; one of a connection since lost is dropped. It may
   * throw (a listener's failure): that is logged, and the connection kept.
   */
  message(msg: StoreMessage): void;
  /** Every tick once started, until stopped: refreshes the leases. A rejection is ignored. */
  refresh(): Promise<void>;
  /**
   * Connected again after an outage, calls already going to the store: publishes this
   * instance's state anew. Rejects when the store is lost again on the way.
   */
  catchUp(): Promise<void>;
  /** Health went `degraded`, or is `ok` again once a catch-up is done. */
  health(status: BackplaneHealth): void;
}

/** How a store session is set up. */
export interface StoreSessionOptions {
  /** The instance id the link announces and the log lines name. */
  readonly instance: string;
  /** How long a write lasts in the store unless refreshed (handed to the link). */
  readonly leaseMs: number;
  /** Between two refreshes. */
  readonly tickMs: number;
  /** Longest wait between attempts to reconnect (default 5 s); the first waits 100 ms. */
  readonly retryMaxMs?: number;
  /** Where an outage, a return and a listener's failure are told (default: nowhere). */
  readonly log?: Logger;
}

/** `new` until started, then `ok` or `degraded`; `stopped` is for good. */
export type StoreSessionState = "new" | "ok" | "degraded" | "stopped";

const RETRY_FIRST_MS = 100;

export class StoreSession {
  readonly #link: StoreLink;
  readonly #owner: StoreSessionOwner;
  readonly #instance: string;
  readonly #leaseMs: number;
  readonly #tickMs: number;
  readonly #retryMaxMs: number;
  readonly #log: Logger;
  #state: StoreSessionState = "new";
  /** The connection is up (perhaps still catching up): calls go to the store. */
  #usable = false;
  /** Publishing again after an outage: refreshes wait, or they would find rooms not yet put back. */
  #catchingUp = false;
  /** Bumped on every connect and every loss, so a stale catch-up or retry does nothing. */
  #generation = 0;
  #attempt = 0;
  #tick: ReturnType<typeof setInterval> | undefined;
  #retry: ReturnType<typeof setTimeout> | undefined;

  constructor(link: StoreLink, owner: StoreSessionOwner, opts: StoreSessionOptions) {
    this.#link = link;
    this.#owner = owner;
    this.#instance = opts.instance;
    this.#leaseMs = opts.leaseMs;
    this.#tickMs = opts.tickMs;
    this.#retryMaxMs = Math.max(RETRY_FIRST_MS, opts.retryMaxMs ?? 5_000);
    this.#log = opts.log ?? silentLogger;
  }

  get state(): StoreSessionState {
    return this.#state;
  }

  /** Connected and not catching up: a refresh may go now. */
  get steady(): boolean {
    return this.#usable && !this.#catchingUp;
  }

  health(): BackplaneHealth {
    return this.#state === "ok" ? "ok" : "degraded";
  }

  /**
   * Connects, runs `first` with calls going to the store, then is `ok` and refreshes every tick.
   * Once only, while `new`. A loss meanwhile fails `first`, and this rejects without retrying.
   */
  async start(first: () => Promise<void>): Promise<void> {
    if (this.#state !== "new") throw new Error("a store session starts once");
    const generation = ++this.#generation;
    await this.#link.connect(this.#events(generation));
    this.#usable = true;
    try {
      await first();
    } catch (err) {
      this.#usable = false;
      this.#link.disconnect();
      throw err;
    }
    this.#state = "ok";
    this.#tick = setInterval(() => void this.#owner.refresh().catch(() => {}), this.#tickMs);
    this.#tick.unref?.();
  }

  /** For good: the store is told goodbye if it is reachable, then the connection dropped. */
  async stop(): Promise<void> {
    if (this.#state === "stopped") return;
    const wasUsable = this.#usable && this.#state !== "new";
    this.#halt();
    if (wasUsable) await this.#link.goodbye().catch(() => {});
    this.#link.disconnect();
  }

  /** For good, as a killed process would: no goodbye, the connection dropped. */
  abandon(): void {
    this.#halt();
    this.#link.disconnect();
  }

  /**
   * Runs `op` on the link while the connection is up; rejects at once while it is not. A
   * `BackplaneUnavailableError` from `op` marks the connection lost.
   */
  async call<T>(op: (link: StoreLink) => Promise<T>): Promise<T> {
    if (!this.#usable) throw this.#unavailable();
    try {
      return await op(this.#link);
    } catch (err) {
      if (err instanceof BackplaneUnavailableError) this.#lost();
      throw err;
    }
  }

  #events(generation: number): LinkEvents {
    return {
      instance: this.#instance,
      leaseMs: this.#leaseMs,
      message: (msg) => {
        if (generation !== this.#generation) return;
        try {
          this.#owner.message(msg);
        } catch (err) {
          // A listener must not throw; if one does, it must not take the store's connection with it.
          this.#log.warn("lobby backplane: a listener failed", { kind: msg.kind, error: String(err) });
        }
      },
      lost: () => {
        if (generation === this.#generation) this.#lost();
      },
    };
  }

  #unavailable(): BackplaneUnavailableError {
    return new BackplaneUnavailableError(
      this.#state === "stopped" ? "the backplane is stopped" : "the shared store cannot be reached",
    );
  }

  #lost(): void {
    if (!this.#usable || this.#state === "stopped") return;
    if (this.#state === "new") {
      // Still starting: `start` rejects, and nothing retries.
      this.#usable = false;
      return;
    }
    this.#usable = false;
    this.#generation += 1;
    this.#link.disconnect();
    this.#setState("degraded");
    this.#log.warn(
      "lobby backplane: the shared store is unreachable; serving this instance's nodes and retrying",
      {
        instance: this.#instance,
      },
    );
    this.#scheduleRetry();
  }

  #scheduleRetry(): void {
    clearTimeout(this.#retry);
    const ceiling = Math.min(this.#retryMaxMs, RETRY_FIRST_MS * 2 ** this.#attempt);
    this.#attempt += 1;
    // Jitter: instances that lost one store together do not all come back in one instant.
    const wait = ceiling / 2 + Math.random() * (ceiling / 2);
    this.#retry = setTimeout(() => void this.#reconnect(), wait);
    this.#retry.unref?.();
  }

  async #reconnect(): Promise<void> {
    if (this.#state === "stopped" || this.#usable) return;
    const generation = ++this.#generation;
    try {
      await this.#link.connect(this.#events(generation));
    } catch {
      if (generation === this.#generation) this.#scheduleRetry();
      return;
    }
    // A loss or a stop since bumped the generation.
    if (generation !== this.#generation) return;
    this.#usable = true;
    this.#catchingUp = true;
    try {
      await this.#owner.catchUp();
    } catch {
      // Lost again on the way: `#lost` scheduled the next attempt.
      return;
    } finally {
      this.#catchingUp = false;
    }
    if (generation !== this.#generation || !this.#usable) return;
    this.#log.info("lobby backplane: the shared store is back; this instance's state is published again", {
      instance: this.#instance,
      attempts: this.#attempt,
    });
    this.#attempt = 0;
    this.#setState("ok");
  }

  #setState(state: "ok" | "degraded"): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#owner.health(state);
  }

  #halt(): void {
    this.#state = "stopped";
    this.#usable = false;
    this.#generation += 1;
    clearInterval(this.#tick);
    clearTimeout(this.#retry);
  }
}
