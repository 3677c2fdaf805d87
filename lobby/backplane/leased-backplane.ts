import { randomBytes } from "node:crypto";
import { type Logger, silentLogger } from "../../server/log.ts";
import {
  type Backplane,
  type BackplaneHealth,
  type BackplaneListener,
  BackplaneUnavailableError,
  checkInstanceId,
  DEFAULT_PRESENCE_TTL_MS,
  type HeldNode,
  type NodeRecord,
  NoSuchRoomError,
  type PutRoomResult,
  type Registration,
  type RoomRecord,
  type SharedRoom,
} from "./backplane.ts";
import {
  type Beat,
  type Claim,
  type Holder,
  type Holdings,
  type LinkEvents,
  type OwnNode,
  parseHolder,
  type StoreLink,
  type StoreMessage,
} from "./store-link.ts";

/**
 * The part of a backplane both stores share: what this instance holds and its leases, the
 * view of other instances' nodes, health, reconnecting and catching up. A store (`StoreLink`,
 * `store-link.ts`) only reads and writes; the memory and Redis backplanes differ in nothing
 * else, so they cannot drift apart on the subtle parts (who wins a registration, what an outage
 * leaves behind).
 *
 * Leases: every `presenceTtlMs / 4` this instance refreshes its instance entry, its nodes, its
 * rooms and its nodes' places in rooms, each for `3/4` of `presenceTtlMs`. What a killed
 * instance held lapses at most 3/4 of the TTL after its last refresh, and every other instance
 * notices on its next refresh at most a quarter later: gone everywhere within the TTL.
 */

/** How a leased backplane is set up; its store is given apart, as a `StoreLink`. */
export interface LeasedBackplaneOptions {
  /** Default: 8 random hex digits. */
  instance?: string;
  /** Default `DEFAULT_PRESENCE_TTL_MS` (30 s). */
  presenceTtlMs?: number;
  /** Longest wait between attempts to reconnect (default 5 s); the first waits 100 ms. */
  retryMaxMs?: number;
  /** Where an outage and a listener's failure are told (default: nowhere). */
  log?: Logger;
}

const RETRY_FIRST_MS = 100;

const NO_LISTENER: BackplaneListener = {
  delivery() {},
  nodeChanged() {},
  nodeLeft() {},
  replaced() {},
  guestExpired() {},
  seatLost() {},
  health() {},
};

export class LeasedBackplane implements Backplane {
  readonly instance: string;
  readonly presenceTtlMs: number;
  readonly #leaseMs: number;
  readonly #tickMs: number;
  readonly #retryMaxMs: number;
  readonly #link: StoreLink;
  readonly #log: Logger;
  #listener: BackplaneListener = NO_LISTENER;
  #state: "new" | "ok" | "degraded" | "stopped" = "new";
  /** The connection is up (perhaps still catching up): calls go to the store. */
  #usable = false;
  /** Bumped on every connect and every loss, so a stale catch-up or retry does nothing. */
  #generation = 0;
  #attempt = 0;
  #tick: ReturnType<typeof setInterval> | undefined;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #beating = false;
  /** Publishing again after an outage: refreshes wait, or they would find rooms not yet put back. */
  #catchingUp = false;
  readonly #own = new Map<string, OwnNode>();
  readonly #rooms = new Map<string, RoomRecord>();
  /** Guest → rooms it sits in, for this instance's nodes. */
  readonly #seats = new Map<string, Set<string>>();
  /** Other instances' nodes: id → holder. */
  readonly #remote = new Map<string, Holder>();
  /** Changes of a node whose claim here is still on its way: weighed once the claim's `seq` is known. */
  readonly #early = new Map<string, { holder: Holder; seq: number; node: HeldNode }>();
  /** What was taken out while degraded, to be taken out of the store when it is back. */
  readonly #releases = new Map<string, { holder: Holder; seats: string[] }>();
  readonly #deletes = new Set<string>();
  readonly #leaves = new Map<string, Set<string>>();
  /**
   * Until then (after the store came back), a place whose room is not there is kept: the room's
   * instance may not have published it again yet. Refreshes seat it once the room is back.
   */
  #seatsWaitUntil = 0;

  constructor(link: StoreLink, opts: LeasedBackplaneOptions = {}) {
    this.#link = link;
    this.instance = checkInstanceId(opts.instance ?? randomBytes(4).toString("hex"));
    this.presenceTtlMs = opts.presenceTtlMs ?? DEFAULT_PRESENCE_TTL_MS;
    if (!Number.isSafeInteger(this.presenceTtlMs) || this.presenceTtlMs < 40) {
      throw new RangeError(`presenceTtlMs must be a whole number of at least 40, got ${this.presenceTtlMs}`);
    }
    this.#tickMs = Math.floor(this.presenceTtlMs / 4);
    this.#leaseMs = this.presenceTtlMs - this.#tickMs;
    this.#retryMaxMs = Math.max(RETRY_FIRST_MS, opts.retryMaxMs ?? 5_000);
    this.#log = opts.log ?? silentLogger;
  }

  async start(listener: BackplaneListener): Promise<void> {
    if (this.#state !== "new") throw new Error("a backplane starts once");
    this.#listener = listener;
    const generation = ++this.#generation;
    await this.#link.connect(this.#events(generation));
    this.#usable = true;
    try {
      // What an earlier run under this instance id left goes first: nothing of it is held now.
      await this.#call(() => this.#link.goodbye());
      await this.#heartbeat();
      await this.#resync();
    } catch (err) {
      this.#usable = false;
      this.#link.disconnect();
      throw err;
    }
    this.#state = "ok";
    this.#tick = setInterval(() => void this.#heartbeat().catch(() => {}), this.#tickMs);
    this.#tick.unref?.();
  }

  async stop(): Promise<void> {
    if (this.#state === "stopped") return;
    const wasUsable = this.#usable && this.#state !== "new";
    this.#halt();
    this.#own.clear();
    this.#early.clear();
    this.#seats.clear();
    this.#rooms.clear();
    this.#remote.clear();
    if (wasUsable) await this.#link.goodbye().catch(() => {});
    this.#link.disconnect();
  }

  /**
   * Stops as a killed process would: no refresh, no goodbye, the connection dropped. What this
   * instance held stays in the store until its lease lapses. For tests of a dead instance.
   */
  abandon(): void {
    this.#halt();
    this.#link.disconnect();
  }

  health(): BackplaneHealth {
    return this.#state === "ok" ? "ok" : "degraded";
  }

  async register(node: NodeRecord): Promise<Registration> {
    const at = Date.now();
    const own: OwnNode = {
      record: node,
      holder: `${this.instance}/${randomBytes(8).toString("hex")}/${at}`,
      at,
      seq: undefined,
    };
    const id = node.nodeId;
    this.#own.set(id, own);
    this.#remote.delete(id);
    this.#releases.delete(id);
    this.#early.delete(id);
    const claim = await this.#call(() => this.#link.claim(own, "register"));
    this.#claimed(id, own, claim);
    return { previous: claim.taken ? claim.previous : undefined };
  }

  async update(node: NodeRecord): Promise<void> {
    const own = this.#own.get(node.nodeId);
    if (!own) return;
    own.record = node;
    const held = await this.#call(() => this.#link.update(own));
    if (!held && this.#own.get(node.nodeId) === own) this.#lose(node.nodeId);
  }

  async unregister(nodeId: string): Promise<void> {
    const own = this.#own.get(nodeId);
    if (!own) return;
    this.#own.delete(nodeId);
    this.#early.delete(nodeId);
    const seats = [...(this.#seats.get(nodeId) ?? [])];
    this.#seats.delete(nodeId);
    const release = { holder: own.holder, seats };
    // Kept until the store took it: a release the store never saw is made when it is back.
    this.#releases.set(nodeId, release);
    await this.#call(() => this.#link.release(nodeId, own.holder, seats));
    if (this.#releases.get(nodeId) === release) this.#releases.delete(nodeId);
  }

  async node(nodeId: string): Promise<HeldNode | undefined> {
    return (await this.#call(() => this.#link.node(nodeId)))?.node;
  }

  async nodes(): Promise<HeldNode[]> {
    return (await this.#call(() => this.#link.nodes())).map((e) => e.node);
  }

  async putRoom(room: RoomRecord): Promise<PutRoomResult> {
    const result = await this.#call(() => this.#link.putRoom(room));
    if (result !== "taken") {
      this.#rooms.set(room.id, room);
      this.#deletes.delete(room.id);
    }
    return result;
  }

  room(id: string): Promise<SharedRoom | undefined> {
    return this.#call(() => this.#link.room(id));
  }

  roomsOf(host: string): Promise<SharedRoom[]> {
    return this.#call(() => this.#link.roomsOf(host));
  }

  publicRooms(max: number): Promise<SharedRoom[]> {
    return this.#call(() => this.#link.publicRooms(max));
  }

  async deleteRoom(id: string): Promise<string[] | undefined> {
    this.#rooms.delete(id);
    this.#deletes.add(id);
    const guests = await this.#call(() => this.#link.deleteRoom(id));
    this.#deletes.delete(id);
    return guests;
  }

  async joinRoom(id: string, guest: string): Promise<boolean> {
    const joined = await this.#call(() => this.#link.join(id, guest));
    if (joined === undefined) throw new NoSuchRoomError(`no room ${id}`);
    if (this.#own.has(guest)) {
      let seats = this.#seats.get(guest);
      if (!seats) {
        seats = new Set();
        this.#seats.set(guest, seats);
      }
      seats.add(id);
      this.#leaves.get(guest)?.delete(id);
    }
    return joined;
  }

  async leaveRoom(id: string, guest: string): Promise<boolean> {
    this.#seats.get(guest)?.delete(id);
    let leaves = this.#leaves.get(guest);
    if (!leaves) {
      leaves = new Set();
      this.#leaves.set(guest, leaves);
    }
    leaves.add(id);
    const left = await this.#call(() => this.#link.leave(id, guest));
    leaves.delete(id);
    if (leaves.size === 0 && this.#leaves.get(guest) === leaves) this.#leaves.delete(guest);
    return left;
  }

  roomGuests(id: string): Promise<string[]> {
    return this.#call(() => this.#link.guests(id));
  }

  deliver(to: string, frame: string | Uint8Array): Promise<boolean> {
    return this.#call(() => this.#link.deliver(to, frame));
  }

  hit(key: string, windowMs: number): Promise<number> {
    if (!Number.isSafeInteger(windowMs) || windowMs < 1) {
      throw new RangeError(`a rate window is a whole number of ms, got ${windowMs}`);
    }
    return this.#call(() => this.#link.hit(key, windowMs));
  }

  // ---- the link's events ----

  #events(generation: number): LinkEvents {
    return {
      instance: this.instance,
      leaseMs: this.#leaseMs,
      message: (msg) => {
        if (generation !== this.#generation) return;
        try {
          this.#message(msg);
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

  #message(msg: StoreMessage): void {
    switch (msg.kind) {
      case "delivery":
        if (this.#own.has(msg.to)) this.#listener.delivery(msg.to, msg.frame);
        break;
      case "changed":
        this.#changed(msg.holder, msg.seq, msg.node);
        break;
      case "left": {
        if (this.#remote.get(msg.nodeId) !== msg.holder) break;
        this.#remote.delete(msg.nodeId);
        this.#listener.nodeLeft(msg.nodeId);
        break;
      }
      default: {
        const never: never = msg;
        throw new Error(`unknown store message ${(never as { kind: string }).kind}`);
      }
    }
  }

  #changed(holder: Holder, seq: number, node: HeldNode): void {
    const parts = parseHolder(holder);
    if (!parts || parts.instance === this.instance) return;
    const own = this.#own.get(node.nodeId);
    if (own) {
      if (own.seq === undefined) {
        this.#early.set(node.nodeId, { holder, seq, node });
        return;
      }
      // A registration the store took before this instance's, heard late: this one stands.
      if (seq <= own.seq) return;
      this.#lose(node.nodeId);
    }
    this.#remote.set(node.nodeId, holder);
    this.#listener.nodeChanged(node);
  }

  /** The store answered a claim: a change of the node heard meanwhile is weighed against it now. */
  #claimed(id: string, own: OwnNode, claim: Claim): void {
    if (this.#own.get(id) !== own) return;
    if (!claim.taken) {
      this.#lose(id);
      return;
    }
    own.seq = claim.seq;
    const early = this.#early.get(id);
    this.#early.delete(id);
    if (early) this.#changed(early.holder, early.seq, early.node);
  }

  /** A node this instance held is held elsewhere now: its socket here goes. */
  #lose(nodeId: string): void {
    this.#own.delete(nodeId);
    this.#early.delete(nodeId);
    this.#seats.delete(nodeId);
    this.#listener.replaced(nodeId);
  }

  // ---- leases ----

  async #heartbeat(): Promise<void> {
    if (!this.#usable || this.#beating || this.#catchingUp) return;
    this.#beating = true;
    try {
      const snapshot = this.#holdings();
      const beat = await this.#call(() => this.#link.heartbeat(snapshot));
      this.#afterBeat(snapshot, beat);
      for (const id of beat.lapsed) {
        const own = this.#own.get(id);
        if (own) await this.#reclaim(id, own);
      }
    } finally {
      this.#beating = false;
    }
  }

  #holdings(): Holdings {
    const seats: Array<readonly [string, string]> = [];
    for (const [guest, rooms] of this.#seats) for (const room of rooms) seats.push([room, guest]);
    return {
      nodes: [...this.#own].map(([id, own]) => [id, own.holder] as const),
      rooms: [...this.#rooms.keys()],
      seats,
    };
  }

  #afterBeat(snapshot: Holdings, beat: Beat): void {
    const holderOf = new Map(snapshot.nodes);
    for (const id of beat.replaced) {
      // Only the registration the refresh was about: one made since is this instance's again.
      if (this.#own.get(id)?.holder === holderOf.get(id)) this.#lose(id);
    }
    for (const id of beat.lostRooms) this.#rooms.delete(id);
    if (Date.now() > this.#seatsWaitUntil) {
      for (const [room, guest] of beat.lostSeats) {
        if (this.#seats.get(guest)?.delete(room)) this.#listener.seatLost(room, guest);
      }
    }
    for (const [room, guest] of beat.expiredGuests) this.#listener.guestExpired(room, guest);
    const live = new Set(beat.live);
    for (const [id, holder] of this.#remote) {
      const instance = parseHolder(holder)?.instance;
      if (instance !== undefined && live.has(instance)) continue;
      this.#remote.delete(id);
      this.#listener.nodeLeft(id);
    }
  }

  async #reclaim(id: string, own: OwnNode): Promise<void> {
    // Until the store answers, a change heard of this node waits to be weighed against it.
    own.seq = undefined;
    const claim = await this.#call(() => this.#link.claim(own, "reclaim"));
    this.#claimed(id, own, claim);
  }

  /** Every other instance's nodes, read whole: the listener hears of each, and of those gone. */
  async #resync(): Promise<void> {
    const entries = await this.#call(() => this.#link.nodes());
    const seen = new Set<string>();
    for (const { node, holder, seq } of entries) {
      if (parseHolder(holder)?.instance === this.instance) continue;
      seen.add(node.nodeId);
      this.#changed(holder, seq, node);
    }
    for (const id of [...this.#remote.keys()]) {
      if (seen.has(id)) continue;
      this.#remote.delete(id);
      this.#listener.nodeLeft(id);
    }
  }

  // ---- outages ----

  async #call<T>(op: () => Promise<T>): Promise<T> {
    if (!this.#usable) throw this.#unavailable();
    try {
      return await op();
    } catch (err) {
      if (err instanceof BackplaneUnavailableError) this.#lost();
      throw err;
    }
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
        instance: this.instance,
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
      await this.#catchUp();
    } catch {
      // Lost again on the way: `#lost` scheduled the next attempt.
      return;
    } finally {
      this.#catchingUp = false;
    }
    if (generation !== this.#generation || !this.#usable) return;
    this.#log.info("lobby backplane: the shared store is back; this instance's state is published again", {
      instance: this.instance,
      attempts: this.#attempt,
    });
    this.#attempt = 0;
    this.#setState("ok");
  }

  /**
   * Back after an outage (the store may have restarted empty): what was taken out meanwhile is
   * taken out, what this instance holds is published again, and every other instance's nodes
   * are read anew. Nothing of this waited in a queue: it is the state this instance holds now.
   */
  async #catchUp(): Promise<void> {
    for (const [id, release] of [...this.#releases]) {
      await this.#call(() => this.#link.release(id, release.holder, release.seats));
      this.#releases.delete(id);
    }
    for (const id of [...this.#deletes]) {
      await this.#call(() => this.#link.deleteRoom(id));
      this.#deletes.delete(id);
    }
    for (const [guest, rooms] of [...this.#leaves]) {
      for (const room of rooms) await this.#call(() => this.#link.leave(room, guest));
      this.#leaves.delete(guest);
    }
    await this.#call(() => this.#link.heartbeat({ nodes: [], rooms: [], seats: [] }));
    for (const [id, own] of [...this.#own]) {
      // Checked just before it is sent: one unregistered meanwhile is not put back.
      if (this.#own.get(id) === own) await this.#reclaim(id, own);
    }
    for (const room of [...this.#rooms.values()]) {
      if (this.#rooms.get(room.id) !== room) continue;
      if ((await this.#call(() => this.#link.putRoom(room))) === "taken") this.#rooms.delete(room.id);
    }
    // A room held by an instance not back yet is seated by a later refresh, once it is.
    this.#seatsWaitUntil = Date.now() + this.#leaseMs;
    for (const [guest, rooms] of [...this.#seats]) {
      for (const room of [...rooms]) {
        if (this.#seats.get(guest)?.has(room)) await this.#call(() => this.#link.join(room, guest));
      }
    }
    await this.#resync();
  }

  #setState(state: "ok" | "degraded"): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#listener.health(state);
  }

  #halt(): void {
    this.#state = "stopped";
    this.#usable = false;
    this.#generation += 1;
    clearInterval(this.#tick);
    clearTimeout(this.#retry);
  }
}
