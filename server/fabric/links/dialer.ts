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
    if (lastResort.length === 0) return this.#inOrder(paths, establish, options, [], { skipped: undefined });
    if (lastResort.length === paths.length) {
      const reason = "no direct path is known";
      return this.#inOrder(paths, (l, p) => establish(l, p, reason), options, [], { skipped: undefined });
    }
    return this.#race(
      paths.filter((p) => !lastResort.includes(p)),
      lastResort,
      establish,
      options,
    );
  }

  /**
   * The preferred paths in order; the last-resort ones start after a delay, or as soon as the
   * preferred all failed. The first to establish wins and the other is called off (a link it
   * still completes replaces the first by the hub's rule, which ranks direct above relay).
   */
  #race<T>(
    preferred: readonly PeerPath[],
    lastResort: readonly PeerPath[],
    establish: (link: Link, path: PeerPath, reason: PathReason | undefined) => Promise<T>,
    options: ReachOptions,
  ): Promise<T> {
    const attempts: DialAttempt[] = [];
    const skip = { skipped: undefined as DialError | undefined };
    const first = new AbortController();
    const second = new AbortController();
    const outer = options.signal;
    const onOuter = () => {
      first.abort();
      second.abort();
    };
    outer?.addEventListener("abort", onOuter, { once: true });
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let running = 2;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = (err?: unknown, value?: T) => {
        if (settled) return;
        if (err === undefined) {
          settled = true;
          resolve(value as T);
        } else if (outer?.aborted) {
          settled = true;
          reject(new DialError("aborted", "the dial was cancelled"));
        } else if (options.final?.(err) || --running === 0) {
          settled = true;
          reject(
            options.final?.(err) || attempts.length === 0
              ? err
              : attempts.length === 1 && !skip.skipped
                ? attempts[0]!.error
                : new UnreachableError(attempts),
          );
        } else return;
        clearTimeout(timer);
        first.abort();
        second.abort();
        outer?.removeEventListener("abort", onOuter);
      };
      let started = false;
      const startLastResort = (reason: PathReason) => {
        if (started || settled) return;
        started = true;
        clearTimeout(timer);
        this.#inOrder(
          lastResort,
          (l, p) => establish(l, p, reason),
          { ...options, signal: second.signal },
          attempts,
          skip,
        ).then(
          (v) => finish(undefined, v),
          (e) => finish(e),
        );
      };
      const delay = options.lastResortDelayMs ?? LAST_RESORT_DELAY_MS;
      timer = setTimeout(() => startLastResort(`no direct path answered within ${duration(delay)}`), delay);
      this.#inOrder(preferred, establish, { ...options, signal: first.signal }, attempts, skip).then(
        (v) => finish(undefined, v),
        (e) => {
          if (options.final?.(e)) return finish(e);
          const why = attempts.map((a) => `${a.path.transport} ${a.error.message}`).join("; ");
          startLastResort(why ? `direct failed: ${why.slice(0, 160)}` : "no direct path is known");
          finish(e);
        },
      );
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
