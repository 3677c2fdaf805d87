import { DialError, type Link, LinkBase, type Transport } from "../link.ts";

class MemoryLink extends LinkBase {
  readonly transport = "memory";
  readonly direction: "inbound" | "outbound";
  readonly remoteAddress: string | undefined;
  other: MemoryLink | undefined;

  constructor(direction: "inbound" | "outbound", remoteAddress: string) {
    super();
    this.direction = direction;
    this.remoteAddress = remoteAddress;
  }

  protected transmit(frame: string | Uint8Array): void {
    const other = this.other;
    // Async like a socket: a sender never re-enters the receiver's handler.
    queueMicrotask(() => other?.receive(frame));
  }

  protected shutdown(code: number, reason: string): void {
    const other = this.other;
    queueMicrotask(() => other?.remoteClosed(code, reason));
  }

  receive(frame: string | Uint8Array): void {
    this.deliver(frame);
  }

  remoteClosed(code: number, reason: string): void {
    this.closed(code, reason);
  }
}

/**
 * An in-process network of named listeners, for tests of the fabric core without sockets. Each
 * node gets a transport from `network.transport()` and registers where it accepts with `listen`.
 */
export class MemoryNetwork {
  readonly #listeners = new Map<string, (link: Link) => void>();

  /** Accepts links dialed to `address` (any string, e.g. `memory://alice`). */
  listen(address: string, accept: (link: Link) => void): () => void {
    this.#listeners.set(address, accept);
    return () => this.#listeners.delete(address);
  }

  transport(): Transport {
    return {
      name: "memory",
      dial: async (address) => {
        const accept = this.#listeners.get(address);
        if (!accept) throw new DialError("unreachable", `nothing listens at ${address}`);
        const outbound = new MemoryLink("outbound", address);
        const inbound = new MemoryLink("inbound", "memory");
        outbound.other = inbound;
        inbound.other = outbound;
        accept(inbound);
        return outbound;
      },
    };
  }
}
