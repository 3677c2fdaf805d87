import {
  BackplaneUnavailableError,
  type PutRoomResult,
  type RoomRecord,
  type SharedRoom,
} from "./backplane.ts";
import { LeasedBackplane, type LeasedBackplaneOptions } from "./leased-backplane.ts";
import { type AttachedLink, MemoryStore } from "./memory-store.ts";
import type {
  Beat,
  Claim,
  HeldEntry,
  Holder,
  Holdings,
  LinkEvents,
  OwnNode,
  StoreLink,
  StoreMessage,
} from "./store-link.ts";

/**
 * The backplane of a lobby that runs as one instance: everything in this process's memory,
 * as the lobby kept it before there was a backplane. Instances given one `MemoryStore` share it
 * as instances share a Redis, so the multi-instance rules (newest registration wins, leases,
 * catching up after an outage) run, and are tested, without a server.
 */
export class MemoryBackplane extends LeasedBackplane {
  constructor(opts: LeasedBackplaneOptions & { store?: MemoryStore } = {}) {
    super(new MemoryLink(opts.store ?? new MemoryStore()), opts);
  }
}

/** One instance's connection to a `MemoryStore`. Messages arrive on a later microtask, as from a socket. */
class MemoryLink implements StoreLink, AttachedLink {
  readonly #store: MemoryStore;
  #events: LinkEvents | undefined;

  constructor(store: MemoryStore) {
    this.#store = store;
  }

  get instance(): string | undefined {
    return this.#events?.instance;
  }

  async connect(events: LinkEvents): Promise<void> {
    this.#store.attach(this);
    this.#events = events;
  }

  disconnect(): void {
    this.#store.detach(this);
    this.#events = undefined;
  }

  /** The store went away under this connection. */
  dropped(): void {
    const events = this.#events;
    this.#events = undefined;
    events?.lost();
  }

  push(msg: StoreMessage): void {
    const events = this.#events;
    if (events) queueMicrotask(() => events.message(msg));
  }

  #ev(): LinkEvents {
    if (!this.#events) throw new BackplaneUnavailableError("not connected");
    return this.#events;
  }

  async claim(own: OwnNode, mode: "register" | "reclaim"): Promise<Claim> {
    return this.#store.claim(this.#ev(), own, mode);
  }
  async update(own: OwnNode): Promise<boolean> {
    return this.#store.update(this.#ev(), own);
  }
  async release(nodeId: string, holder: Holder, seats: readonly string[]): Promise<void> {
    this.#ev();
    this.#store.release(nodeId, holder, seats);
  }
  async node(nodeId: string): Promise<HeldEntry | undefined> {
    this.#ev();
    return this.#store.node(nodeId);
  }
  async nodes(): Promise<HeldEntry[]> {
    this.#ev();
    return this.#store.nodes();
  }
  async putRoom(room: RoomRecord): Promise<PutRoomResult> {
    return this.#store.putRoom(this.#ev(), room);
  }
  async room(id: string): Promise<SharedRoom | undefined> {
    this.#ev();
    return this.#store.room(id);
  }
  async roomsOf(host: string): Promise<SharedRoom[]> {
    this.#ev();
    return this.#store.roomsOf(host);
  }
  async publicRooms(max: number): Promise<SharedRoom[]> {
    this.#ev();
    return this.#store.publicRooms(max);
  }
  async deleteRoom(id: string): Promise<string[] | undefined> {
    this.#ev();
    return this.#store.deleteRoom(id);
  }
  async join(id: string, guest: string): Promise<boolean | undefined> {
    return this.#store.join(this.#ev(), id, guest);
  }
  async leave(id: string, guest: string): Promise<boolean> {
    this.#ev();
    return this.#store.leave(id, guest);
  }
  async guests(id: string): Promise<string[]> {
    this.#ev();
    return this.#store.guests(id);
  }
  async deliver(to: string, frame: string | Uint8Array): Promise<boolean> {
    this.#ev();
    return this.#store.deliver(to, frame);
  }
  async hit(key: string, windowMs: number): Promise<number> {
    this.#ev();
    return this.#store.hit(key, windowMs);
  }
  async heartbeat(holdings: Holdings): Promise<Beat> {
    return this.#store.heartbeat(this.#ev(), holdings);
  }
  async goodbye(): Promise<void> {
    this.#store.goodbye(this.#ev());
  }
}
