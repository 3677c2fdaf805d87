import { DialError, type Link, LinkBase, type Transport } from "./link.ts";

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
 * node gets a transport from `network.transport("memory://name")`: it dials any `memory://`
 * address and, once listening, accepts links dialed to its own.
 */
export class MemoryNetwork {
  readonly #listeners = new Map<string, (link: Link) => unknown>();

  transport(ownAddress?: string): Transport {
    return {
      name: "memory",
      handles: (address) => address.startsWith("memory://"),
      dial: async (address, options) => {
        // Connecting takes a turn of the event loop, as a socket's does, so an abort can land.
        await new Promise((resolve) => setTimeout(resolve, 0));
        if (options?.signal?.aborted) throw new DialError("aborted", "the dial was cancelled");
        const accept = this.#listeners.get(address);
        if (!accept) throw new DialError("unreachable", `nothing listens at ${address}`);
        const outbound = new MemoryLink("outbound", address);
        const inbound = new MemoryLink("inbound", "memory");
        outbound.other = inbound;
        inbound.other = outbound;
        accept(inbound);
        return outbound;
      },
      listen: (accept) => {
        if (ownAddress === undefined) throw new Error("this memory transport has no address to listen at");
        this.#listeners.set(ownAddress, accept);
        return () => {
          if (this.#listeners.get(ownAddress) === accept) this.#listeners.delete(ownAddress);
        };
      },
    };
  }
}
