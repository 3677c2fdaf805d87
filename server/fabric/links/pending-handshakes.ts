import { HANDSHAKE_TIMEOUT_MS } from "../handshake.ts";

/** How many upgraded `/peer-ws` sockets may be in their handshake at once (the network settings). */
export interface PendingLimits {
  total: number;
  perAddress: number;
}

/** One socket's place among the pending handshakes. */
export interface PendingSlot {
  /** Frees the place, once the handshake finished or the socket closed; later calls do nothing. */
  release(): void;
  /** How to end this socket when a newcomer from a quieter address takes its place. */
  onEvict(evict: () => void): void;
}

class Entry implements PendingSlot {
  readonly key: string;
  readonly since: number;
  #released = false;
  #evicted = false;
  #evict: (() => void) | undefined;
  readonly #free: (entry: Entry) => void;

  constructor(key: string, since: number, free: (entry: Entry) => void) {
    this.key = key;
    this.since = since;
    this.#free = free;
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#free(this);
  }

  onEvict(evict: () => void): void {
    // Evicted before its socket opened: end the socket as soon as it exists.
    if (this.#evicted) evict();
    else this.#evict = evict;
  }

  evict(): void {
    this.release();
    this.#evicted = true;
    this.#evict?.();
  }
}

/**
 * Counts the sockets that upgraded but have not finished the handshake, in total and per source
 * address, so silent sockets cannot pile up until the process runs out of file descriptors (Bun's
 * accept loop spins on EMFILE). When the total is reached, a newcomer from an address holding
 * fewer places takes the oldest place of the address holding the most, so one busy source cannot
 * lock honest peers out; everyone else is refused before the upgrade.
 */
export class PendingHandshakes {
  readonly #limits: () => PendingLimits;
  readonly #now: () => number;
  readonly #maxAgeMs: number;
  /** Per address key, its entries oldest first (a Set keeps insertion order). */
  readonly #byAddress = new Map<string, Set<Entry>>();
  #total = 0;

  /**
   * `maxAgeMs` is a backstop: a place held longer than the handshake may take (its socket never
   * opened, or its close was never reported) is taken back when places run short.
   */
  constructor(limits: () => PendingLimits, options: { now?: () => number; maxAgeMs?: number } = {}) {
    this.#limits = limits;
    this.#now = options.now ?? Date.now;
    this.#maxAgeMs = options.maxAgeMs ?? HANDSHAKE_TIMEOUT_MS + 5_000;
  }

  /** Sockets in their handshake now. */
  get size(): number {
    return this.#total;
  }

  /** Takes a place for a socket from `address`, or returns why there is none. */
  reserve(address: string | undefined): PendingSlot | string {
    const limits = this.#limits();
    const key = addressKey(address);
    if ((this.#byAddress.get(key)?.size ?? 0) >= limits.perAddress || this.#total >= limits.total)
      this.#sweep();
    const mine = this.#byAddress.get(key)?.size ?? 0;
    if (mine >= limits.perAddress) return "too many handshakes in progress from your address";
    if (this.#total >= limits.total) {
      const victim = this.#oldestOfBusiest();
      // Only from an address that would still hold more than the newcomer once it gave one up.
      if (!victim || (this.#byAddress.get(victim.key)?.size ?? 0) <= mine + 1)
        return "this node has too many handshakes in progress; try again shortly";
      victim.evict();
    }
    return this.#add(key);
  }

  #add(key: string): Entry {
    const entry = new Entry(key, this.#now(), (e) => {
      this.#total--;
      const set = this.#byAddress.get(e.key);
      set?.delete(e);
      if (set?.size === 0) this.#byAddress.delete(e.key);
    });
    let set = this.#byAddress.get(key);
    if (!set) {
      set = new Set();
      this.#byAddress.set(key, set);
    }
    set.add(entry);
    this.#total++;
    return entry;
  }

  #sweep(): void {
    const cutoff = this.#now() - this.#maxAgeMs;
    for (const set of [...this.#byAddress.values()]) {
      for (const entry of [...set]) {
        if (entry.since > cutoff) break;
        entry.evict();
      }
    }
  }

  #oldestOfBusiest(): Entry | undefined {
    let busiest: Set<Entry> | undefined;
    for (const set of this.#byAddress.values()) if (!busiest || set.size > busiest.size) busiest = set;
    return busiest?.values().next().value;
  }
}

/**
 * The key an address is counted under: IPv4 as is (also when mapped into IPv6), IPv6 by its /64,
 * since one host is usually handed a whole /64 and could otherwise take a place per address.
 */
export function addressKey(address: string | undefined): string {
  if (!address) return "unknown";
  const bare = address.split("%")[0]!.toLowerCase();
  if (bare.startsWith("::ffff:") && bare.includes(".")) return bare.slice(7);
  if (!bare.includes(":")) return bare;
  const [head = "", tail] = bare.split("::");
  const front = head ? head.split(":") : [];
  const back = tail ? tail.split(":") : [];
  const groups = [...front, ...Array<string>(Math.max(0, 8 - front.length - back.length)).fill("0"), ...back];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}
