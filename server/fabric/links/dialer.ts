import { DialError, type DialOptions, type Link, type Transport } from "./link.ts";

/** One address tried while reaching a node, and why it did not work out. */
export interface DialAttempt {
  address: string;
  /** The transport that took it, or undefined when none handles the address. */
  transport: string | undefined;
  error: Error;
}

/** Every address was tried and none linked up; `attempts` says what happened at each. */
export class UnreachableError extends DialError {
  readonly attempts: DialAttempt[];
  constructor(attempts: DialAttempt[]) {
    super("unreachable", attempts.map((a) => `${a.address}: ${a.error.message}`).join("; "));
    this.attempts = attempts;
  }
}

export interface ReachOptions extends DialOptions {
  /** An error after which no other address is tried (a node that refused us refuses everywhere). */
  final?: (err: unknown) => boolean;
  /** Called as each address is dialed, for progress shown to a person. */
  onAttempt?: (address: string, transport: string) => void;
}

/**
 * Holds the node's transports and reaches a node by trying its addresses in the order given
 * (callers put the preferred first), each on the transport that handles it: dial, then
 * `establish` (the handshake) on the link. A transport switched off in settings is skipped with
 * its reason. The first address that establishes wins; a link whose establishing failed is closed.
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

  /** The transport that dials `address`, if any. */
  transportFor(address: string): Transport | undefined {
    return this.#transports.find((t) => t.handles(address));
  }

  /** Hands every link any transport accepts to `accept`; returns how to stop them all. */
  listen(accept: (link: Link) => unknown): () => void {
    const stops = this.#transports.map((t) => t.listen(accept));
    return () => {
      for (const stop of stops) stop();
    };
  }

  /**
   * Tries `addresses` until one links up and `establish` resolves on it. With one address its
   * own error is thrown as it was; with several, an `UnreachableError` listing each attempt,
   * unless `final` stops the search first (then that error). Nothing to try is a `DialError`.
   */
  async reach<T>(
    addresses: readonly string[],
    establish: (link: Link, address: string) => Promise<T>,
    options: ReachOptions = {},
  ): Promise<T> {
    const attempts: DialAttempt[] = [];
    let skipped: DialError | undefined;
    for (const address of addresses) {
      if (options.signal?.aborted) throw new DialError("aborted", "the dial was cancelled");
      const transport = this.transportFor(address);
      if (!transport) {
        attempts.push({
          address,
          transport: undefined,
          error: new DialError(
            "bad_address",
            `"${address.slice(0, 120)}" is not an address this node can dial (like ws://host:7420/peer-ws)`,
          ),
        });
        continue;
      }
      const why = this.#disabled(transport.name);
      if (why) {
        skipped = new DialError("disabled", why);
        continue;
      }
      options.onAttempt?.(address, transport.name);
      let link: Link | undefined;
      try {
        link = await transport.dial(address, options);
        return await establish(link, address);
      } catch (err) {
        if (link?.isOpen) link.close();
        if (options.final?.(err)) throw err;
        attempts.push({ address, transport: transport.name, error: err as Error });
      }
    }
    if (attempts.length === 0) {
      throw skipped ?? new DialError("unreachable", "no address is known for this node");
    }
    if (attempts.length === 1 && skipped === undefined) throw attempts[0]!.error;
    throw new UnreachableError(attempts);
  }
}
