import { randomBytes } from "node:crypto";
import { type Logger, silentLogger } from "../../server/log.ts";
import {
  type Backplane,
  type BackplaneHealth,
  type BackplaneListener,
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
  type OwnNode,
  parseHolder,
  type StoreLink,
  type StoreMessage,
} from "./store-link.ts";
import { StoreSession, type StoreSessionOwner } from "./store-session.ts";

/**
 * The part of a backplane both stores share: what this instance holds and its leases, the
 * view of other instances' nodes, and what catching up after an outage publishes. A store
 * (`StoreLink`, `store-link.ts`) only reads and writes; the memory and Redis backplanes differ in
 * nothing else, so they cannot drift apart on the subtle parts (who wins a registration, what an
 * outage leaves behind). The connection itself (connecting, noticing a loss, reconnecting with
 * backoff, health) is a `StoreSession` (`store-session.ts`), which calls back in here.
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
  readonly #log: Logger;
  /** Instances the last refresh found live, this one included. */
  #live = new Set<string>();
  readonly #session: StoreSession;
  #listener: BackplaneListener = NO_LISTENER;
  #beating = false;
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
    this.instance = checkInstanceId(opts.instance ?? randomBytes(4).toString("hex"));
    this.presenceTtlMs = opts.presenceTtlMs ?? DEFAULT_PRESENCE_TTL_MS;
    if (!Number.isSafeInteger(this.presenceTtlMs) || this.presenceTtlMs < 40) {
      throw new RangeError(`presenceTtlMs must be a whole number of at least 40, got ${this.presenceTtlMs}`);
    }
    this.#log = opts.log ?? silentLogger;
    const tickMs = Math.floor(this.presenceTtlMs / 4);
    this.#leaseMs = this.presenceTtlMs - tickMs;
    const owner: StoreSessionOwner = {
      message: (msg) => this.#message(msg),
      refresh: () => this.#heartbeat(),
      catchUp: () => this.#catchUp(),
      health: (status) => this.#listener.health(status),
    };
    this.#session = new StoreSession(link, owner, {
      instance: this.instance,
      leaseMs: this.#leaseMs,
      tickMs,
      retryMaxMs: opts.retryMaxMs,
      log: opts.log,
    });
  }

  async start(listener: BackplaneListener): Promise<void> {
    if (this.#session.state !== "new") throw new Error("a backplane starts once");
    this.#listener = listener;
    await this.#session.start(async () => {
      // What an earlier run under this instance id left goes first: nothing of it is held now.
      await this.#session.call((link) => link.goodbye());
      await this.#heartbeat();
      await this.#resync();
    });
  }

  async stop(): Promise<void> {
    if (this.#session.state === "stopped") return;
    this.#own.clear();
    this.#early.clear();
    this.#seats.clear();
    this.#rooms.clear();
    this.#remote.clear();
    // The session says goodbye only if the store was reachable, then drops the connection.
    await this.#session.stop();
  }

  /**
   * Stops as a killed process would: no refresh, no goodbye, the connection dropped. What this
   * instance held stays in the store until its lease lapses. For tests of a dead instance.
   */
  abandon(): void {
    this.#session.abandon();
  }

  health(): BackplaneHealth {
    return this.#session.health();
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
    const claim = await this.#session.call((link) => link.claim(own, "register"));
    this.#claimed(id, own, claim);
    return { previous: claim.taken ? claim.previous : undefined };
  }

  async update(node: NodeRecord): Promise<void> {
    const own = this.#own.get(node.nodeId);
    if (!own) return;
    own.record = node;
    const held = await this.#session.call((link) => link.update(own));
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
    await this.#session.call((link) => link.release(nodeId, own.holder, seats));
    if (this.#releases.get(nodeId) === release) this.#releases.delete(nodeId);
  }

  async node(nodeId: string): Promise<HeldNode | undefined> {
    return (await this.#session.call((link) => link.node(nodeId)))?.node;
  }

  async nodes(): Promise<HeldNode[]> {
    return (await this.#session.call((link) => link.nodes())).map((e) => e.node);
  }

  async putRoom(room: RoomRecord): Promise<PutRoomResult> {
    const result = await this.#session.call((link) => link.putRoom(room));
    if (result !== "taken") {
      this.#rooms.set(room.id, room);
      this.#deletes.delete(room.id);
    }
    return result;
  }

  room(id: string): Promise<SharedRoom | undefined> {
    return this.#session.call((link) => link.room(id));
  }

  roomsOf(host: string): Promise<SharedRoom[]> {
    return this.#session.call((link) => link.roomsOf(host));
  }

  publicRooms(max: number): Promise<SharedRoom[]> {
    return this.#session.call((link) => link.publicRooms(max));
  }

  async deleteRoom(id: string): Promise<string[] | undefined> {
    this.#rooms.delete(id);
    this.#deletes.add(id);
    const guests = await this.#session.call((link) => link.deleteRoom(id));
    this.#deletes.delete(id);
    return guests;
  }

  async joinRoom(id: string, guest: string): Promise<boolean> {
    const joined = await this.#session.call((link) => link.join(id, guest));
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
    const left = await this.#session.call((link) => link.leave(id, guest));
    leaves.delete(id);
    if (leaves.size === 0 && this.#leaves.get(guest) === leaves) this.#leaves.delete(guest);
    return left;
  }

  roomGuests(id: string): Promise<string[]> {
    return this.#session.call((link) => link.guests(id));
  }

  deliver(to: string, frame: string | Uint8Array): Promise<boolean> {
    return this.#session.call((link) => link.deliver(to, frame));
  }

  hit(key: string, windowMs: number): Promise<number> {
    if (!Number.isSafeInteger(windowMs) || windowMs < 1) {
      throw new RangeError(`a rate window is a whole number of ms, got ${windowMs}`);
    }
    return this.#session.call((link) => link.hit(key, windowMs));
  }

  // ---- the store's messages ----

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
    if (!this.#session.steady || this.#beating) return;
    this.#beating = true;
    try {
      const snapshot = this.#holdings();
      const beat = await this.#session.call((link) => link.heartbeat(snapshot));
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
    const dropped = new Map<string, number>();
    for (const [id, holder] of this.#remote) {
      const instance = parseHolder(holder)?.instance;
      if (instance !== undefined && live.has(instance)) continue;
      this.#remote.delete(id);
      if (instance !== undefined) dropped.set(instance, (dropped.get(instance) ?? 0) + 1);
      this.#listener.nodeLeft(id);
    }
    this.#instancesSeen(live, dropped);
  }

  /**
   * What an operator reads of the lobby's other instances: one line when one appears, and one
   * when one stops refreshing its lease (killed, or cut off from the store), with the nodes that
   * went with it. A clean stop says goodbye first, so its nodes are gone before its lease is.
   */
  #instancesSeen(live: ReadonlySet<string>, dropped: ReadonlyMap<string, number>): void {
    for (const instance of live) {
      if (instance !== this.instance && !this.#live.has(instance)) {
        this.#log.info("lobby backplane: another instance of this lobby is up", { instance });
      }
    }
    for (const instance of this.#live) {
      if (live.has(instance)) continue;
      this.#log.warn("lobby backplane: an instance stopped refreshing its lease; what it held is gone", {
        instance,
        nodes: dropped.get(instance) ?? 0,
      });
    }
    this.#live = new Set(live);
  }

  async #reclaim(id: string, own: OwnNode): Promise<void> {
    // Until the store answers, a change heard of this node waits to be weighed against it.
    own.seq = undefined;
    const claim = await this.#session.call((link) => link.claim(own, "reclaim"));
    this.#claimed(id, own, claim);
  }

  /** Every other instance's nodes, read whole: the listener hears of each, and of those gone. */
  async #resync(): Promise<void> {
    const entries = await this.#session.call((link) => link.nodes());
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

  // ---- after an outage ----

  /**
   * Back after an outage (the store may have restarted empty): what was taken out meanwhile is
   * taken out, what this instance holds is published again, and every other instance's nodes
   * are read anew. Nothing of this waited in a queue: it is the state this instance holds now.
   */
  async #catchUp(): Promise<void> {
    for (const [id, release] of [...this.#releases]) {
      await this.#session.call((link) => link.release(id, release.holder, release.seats));
      this.#releases.delete(id);
    }
    for (const id of [...this.#deletes]) {
      await this.#session.call((link) => link.deleteRoom(id));
      this.#deletes.delete(id);
    }
    for (const [guest, rooms] of [...this.#leaves]) {
      for (const room of rooms) await this.#session.call((link) => link.leave(room, guest));
      this.#leaves.delete(guest);
    }
    await this.#session.call((link) => link.heartbeat({ nodes: [], rooms: [], seats: [] }));
    for (const [id, own] of [...this.#own]) {
      // Checked just before it is sent: one unregistered meanwhile is not put back.
      if (this.#own.get(id) === own) await this.#reclaim(id, own);
    }
    for (const room of [...this.#rooms.values()]) {
      if (this.#rooms.get(room.id) !== room) continue;
      if ((await this.#session.call((link) => link.putRoom(room))) === "taken") this.#rooms.delete(room.id);
    }
    // A room held by an instance not back yet is seated by a later refresh, once it is.
    this.#seatsWaitUntil = Date.now() + this.#leaseMs;
    for (const [guest, rooms] of [...this.#seats]) {
      for (const room of [...rooms]) {
        if (this.#seats.get(guest)?.has(room)) await this.#session.call((link) => link.join(room, guest));
      }
    }
    await this.#resync();
  }
}
