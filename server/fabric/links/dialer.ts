import type { PeerPath } from "../../../protocol/peer.ts";
import { DialError, type DialOptions, type Link, type Transport } from "./link.ts";

/** One path tried while reaching a node, and why it did not work out. */
export interface DialAttempt {
  path: PeerPath;
  error: Error;
}

/** Every address was tried and none linked up; `attempts` says what happened at each. */
export class UnreachableError extends DialError {
  readonly attempts: DialAttempt[];
  constructor(attempts: DialAttempt[]) {
    super("unreachable", attempts.map((a) => `${a.path.address}: ${a.error.message}`).join("; "));
    this.attempts = attempts;
  }
}

/** How long the preferred paths may try before a last-resort path (the relay) starts beside them. */
export const LAST_RESORT_DELAY_MS = 3_000;

/** Paths tried together in order, started after a head start (or when the tiers before failed). */
interface Tier {
  readonly paths: readonly PeerPath[];
  readonly delayMs: number;
  /** The relay: its links carry why it was needed. */
  readonly lastResort: boolean;
}

/** Why a link runs over a last-resort path, in words for the peer row. */
export type PathReason = string;

export interface ReachOptions extends DialOptions {
  /** An error after which no other address is tried (a node that refused us refuses everywhere). */
  final?: (err: unknown) => boolean;
  /** Called as each path is dialed, for progress shown to a person. */
  onAttempt?: (path: PeerPath) => void;
  /** How long the preferred paths run alone; `LAST_RESORT_DELAY_MS` by default. */
  lastResortDelayMs?: number;
}

/**
 * Holds the node's transports and reaches a node by trying its typed paths in the order given
 * (callers put the preferred first), each on the transport it names: dial, then `establish` (the
 * handshake) on the link. A path of a transport this node lacks, or one a setting switched off,
 * is skipped with its reason. The first path that establishes wins; a link whose establishing
 * failed is closed.
 */
export class Dialer {
  readonly #transports: Transport[];
  readonly #disabled: (transport: string) => string | undefined;

  constructor(opts: {
    transports: Transport[];
    /** Why a transport may not be used right now (a setting), or undefined when it may. */
    disabled?: (transport: string) => string | undefined;
  }) {
    this.#transports = opts.transports;
    this.#disabled = opts.disabled ?? (() => undefined);
  }

  /** The transport that dials `path`, if this node has it. */
  transportFor(path: PeerPath): Transport | undefined {
    return this.#transports.find((t) => t.name === path.transport && t.handles(path.address));
  }

  /** The path of an address a person typed (a `ws://` URL): the first transport that handles it. */
  pathOf(address: string): PeerPath | undefined {
    const trimmed = address.trim();
    const transport = this.#transports.find((t) => t.handles(trimmed));
    return transport ? { transport: transport.name, address: trimmed } : undefined;
  }

  /** Hands every link any transport accepts to `accept`; returns how to stop them all. */
  listen(accept: (link: Link) => unknown): () => void {
    const stops = this.#transports.map((t) => t.listen(accept));
    return () => {
      for (const stop of stops) stop();
    };
  }

  /**
   * Tries `paths` until one links up and `establish` resolves on it. With one path its own error
   * is thrown as it was; with several, an `UnreachableError` listing each attempt, unless `final`
   * stops the search first (then that error). Nothing to try is a `DialError`.
   */
  async reach<T>(
    paths: readonly PeerPath[],
    establish: (link: Link, path: PeerPath, reason: PathReason | undefined) => Promise<T>,
    options: ReachOptions = {},
  ): Promise<T> {
    const lastResort = paths.filter((p) => this.transportFor(p)?.lastResort);
    const racing = paths.filter(
      (p) => !lastResort.includes(p) && this.transportFor(p)?.raceAfterMs !== undefined,
    );
    const primary = paths.filter((p) => !lastResort.includes(p) && !racing.includes(p));
    if (lastResort.length === paths.length) {
      const reason = "no direct path is known";
      return this.#inOrder(paths, (l, p) => establish(l, p, reason), options, [], { skipped: undefined });
    }
    const tiers: Tier[] = [];
    if (primary.length > 0) tiers.push({ paths: primary, delayMs: 0, lastResort: false });
    if (racing.length > 0) {
      const delayMs = Math.min(...racing.map((p) => this.transportFor(p)?.raceAfterMs ?? 0));
      tiers.push({ paths: racing, delayMs: primary.length > 0 ? delayMs : 0, lastResort: false });
    }
    if (lastResort.length > 0) {
      tiers.push({
        paths: lastResort,
        delayMs: options.lastResortDelayMs ?? LAST_RESORT_DELAY_MS,
        lastResort: true,
      });
    }
    if (tiers.length === 1) return this.#inOrder(paths, establish, options, [], { skipped: undefined });
    return this.#race(tiers, establish, options);
  }

  /**
   * Tiers of paths, each in order: the first at once, each later one after its head start, or as
   * soon as every tier before it failed. The first to establish wins and the others are called off
   * (a link one still completes replaces the first only if its path ranks higher: the hub's rule).
   * The last resort's links carry why it was needed.
   */
  #race<T>(
    tiers: readonly Tier[],
    establish: (link: Link, path: PeerPath, reason: PathReason | undefined) => Promise<T>,
    options: ReachOptions,
  ): Promise<T> {
    const attempts: DialAttempt[] = [];
    const skip = { skipped: undefined as DialError | undefined };
    const aborts = tiers.map(() => new AbortController());
    const outer = options.signal;
    const onOuter = () => {
      for (const a of aborts) a.abort();
    };
    outer?.addEventListener("abort", onOuter, { once: true });
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let failed = 0;
      const started = tiers.map(() => false);
      const timers: Array<ReturnType<typeof setTimeout> | undefined> = [];
      const finish = (err?: unknown, value?: T) => {
        if (settled) return;
        if (err === undefined) {
          settled = true;
          resolve(value as T);
        } else if (outer?.aborted) {
          settled = true;
          reject(new DialError("aborted", "the dial was cancelled"));
        } else if (options.final?.(err) || failed === tiers.length) {
          settled = true;
          reject(
            options.final?.(err) || attempts.length === 0
              ? err
              : attempts.length === 1 && !skip.skipped
                ? attempts[0]!.error
                : new UnreachableError(attempts),
          );
        } else return;
        for (const t of timers) clearTimeout(t);
        for (const a of aborts) a.abort();
        outer?.removeEventListener("abort", onOuter);
      };
      const start = (i: number, reason: PathReason | undefined) => {
        const tier = tiers[i];
        if (!tier || started[i] || settled) return;
        started[i] = true;
        clearTimeout(timers[i]);
        const run = tier.lastResort ? (l: Link, p: PeerPath) => establish(l, p, reason) : establish;
        this.#inOrder(tier.paths, run, { ...options, signal: aborts[i]!.signal }, attempts, skip).then(
          (v) => finish(undefined, v),
          (e) => {
            failed += 1;
            if (options.final?.(e)) return finish(e);
            // Every tier started so far failed: the next one need not wait for its head start.
            if (failed === started.filter(Boolean).length) {
              const why = attempts.map((a) => `${a.path.transport} ${a.error.message}`).join("; ");
              const reason = why ? `direct failed: ${why.slice(0, 160)}` : "no direct path is known";
              // A way a setting turned off is part of why: "WebRTC is turned off in settings".
              const off = skip.skipped ? `; ${skip.skipped.message}` : "";
              start(started.indexOf(false), `${reason}${off}`);
            }
            finish(e);
          },
        );
      };
      tiers.forEach((tier, i) => {
        if (i === 0) return;
        const why = tier.lastResort ? `no direct path answered within ${duration(tier.delayMs)}` : undefined;
        timers[i] = setTimeout(() => start(i, why), tier.delayMs);
      });
      start(0, undefined);
    });
  }

  async #inOrder<T>(
    paths: readonly PeerPath[],
    establish: (link: Link, path: PeerPath, reason: PathReason | undefined) => Promise<T>,
    options: ReachOptions,
    attempts: DialAttempt[],
    skip: { skipped: DialError | undefined },
  ): Promise<T> {
    const before = attempts.length;
    for (const path of paths) {
      if (options.signal?.aborted) throw new DialError("aborted", "the dial was cancelled");
      const transport = this.transportFor(path);
      if (!transport) {
        attempts.push({
          path,
          error: new DialError(
            "bad_address",
            `"${path.address.slice(0, 120)}" is not a ${path.transport.slice(0, 16)} address this node can dial`,
          ),
        });
        continue;
      }
      const why = this.#disabled(transport.name) ?? transport.disabled?.();
      if (why) {
        skip.skipped = new DialError("disabled", why);
        continue;
      }
      options.onAttempt?.(path);
      let link: Link | undefined;
      try {
        link = await transport.dial(path.address, options);
        return await establish(link, path, undefined);
      } catch (err) {
        if (link?.isOpen) link.close();
        if (options.final?.(err)) throw err;
        attempts.push({ path, error: err as Error });
      }
    }
    if (attempts.length === before) {
      throw skip.skipped ?? new DialError("unreachable", "no way to reach this node is known");
    }
    if (attempts.length === 1 && skip.skipped === undefined) throw attempts[0]!.error;
    throw new UnreachableError(attempts);
  }
}

/** A head start in words: whole seconds, or milliseconds below one (a shortened delay read "0 s"). */
function duration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}
