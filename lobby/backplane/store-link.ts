import type { HeldNode, NodeRecord, PutRoomResult, RoomRecord, SharedRoom } from "./backplane.ts";

/**
 * What a leased backplane (`leased-backplane.ts`) asks of the store it shares with the other
 * instances, and what crosses between them. A store link only reads and writes; who wins a
 * registration, leases, outages and catching up are the leased backplane's, so the memory and
 * Redis stores cannot drift apart on them.
 */

/**
 * Who holds a node's registration, as the store keeps it: `instance/tag/at`, `tag` random per
 * registration and `at` its ms clock. Live, the store orders registrations itself (each claim gets the
 * next `seq`); after an outage, when the store may have restarted and its sequence with it, an
 * instance takes a node back only from a registration older by `at`.
 */
export type Holder = string;

/** A `Holder` read apart. */
export interface HolderParts {
  instance: string;
  tag: string;
  at: number;
}

/** Undefined for a string that is no holder (not from a lobby). */
export function parseHolder(holder: Holder): HolderParts | undefined {
  const m = /^([A-Za-z0-9_-]{1,64})\/([0-9a-f]{1,32})\/(\d{1,16})$/.exec(holder);
  if (!m) return undefined;
  return { instance: m[1]!, tag: m[2]!, at: Number(m[3]) };
}

/** Whether registration `a` is newer than `b`: the later clock, the larger tag on a tie. */
export function newerHolder(a: HolderParts, b: HolderParts): boolean {
  return a.at > b.at || (a.at === b.at && a.tag > b.tag);
}

/** A node this instance holds. */
export interface OwnNode {
  record: NodeRecord;
  readonly holder: Holder;
  readonly at: number;
  /** The store's sequence number of this registration; undefined until the store took it. */
  seq: number | undefined;
}

/** A registered node as the store returns it: the record, where it is held and under which registration. */
export interface HeldEntry {
  readonly node: HeldNode;
  readonly holder: Holder;
  readonly seq: number;
}

/** What the store pushes to an instance: deliveries for it, and every instance's node changes. */
export type StoreMessage =
  | { readonly kind: "delivery"; readonly to: string; readonly frame: string | Uint8Array }
  | { readonly kind: "changed"; readonly holder: Holder; readonly seq: number; readonly node: HeldNode }
  | { readonly kind: "left"; readonly holder: Holder; readonly nodeId: string };

/** What a refresh covers: everything this instance holds. */
export interface Holdings {
  readonly nodes: ReadonlyArray<readonly [nodeId: string, holder: Holder]>;
  readonly rooms: readonly string[];
  /** `[roomId, guest]`: places this instance's nodes hold in rooms. */
  readonly seats: ReadonlyArray<readonly [roomId: string, guest: string]>;
}

/** What a refresh found. */
export interface Beat {
  /** Nodes registered elsewhere since (a newer holder). */
  readonly replaced: readonly string[];
  /** Nodes whose lease lapsed with no newer holder (this instance stalled): taken back. */
  readonly lapsed: readonly string[];
  /** Rooms now held by another instance, or ended. */
  readonly lostRooms: readonly string[];
  /** Places whose room ended. */
  readonly lostSeats: ReadonlyArray<readonly [roomId: string, guest: string]>;
  /** Guests of this instance's rooms whose lease lapsed (their instance died): taken out. */
  readonly expiredGuests: ReadonlyArray<readonly [roomId: string, guest: string]>;
  /** Instances whose lease has not lapsed, this one included. */
  readonly live: readonly string[];
}

/** How a claim went: taken (from `previous`, if any) as the store's `seq`th claim, or refused for a newer holder. */
export type Claim =
  | { readonly taken: true; readonly previous: string | undefined; readonly seq: number }
  | { readonly taken: false };

/** What a store link tells the backplane it serves, and what it needs to know of it. */
export interface LinkEvents {
  readonly instance: string;
  /** How long a write lasts in the store before it lapses unless refreshed. */
  readonly leaseMs: number;
  message(msg: StoreMessage): void;
  /** The connection dropped or stopped answering; called at most once per `connect`. */
  lost(): void;
}

/**
 * A connection to the shared store. Every call rejects with `BackplaneUnavailableError` when the
 * store cannot be reached or does not answer in time; any other rejection is a bug.
 */
export interface StoreLink {
  /** Connects and subscribes this instance's channel and the node changes. */
  connect(events: LinkEvents): Promise<void>;
  /** Drops the connection at once; `lost` is not called for it. */
  disconnect(): void;
  /**
   * `register`: takes the node from any holder. `reclaim` (after an outage or a lapse): takes it
   * only when no newer registration holds it. Publishes the change.
   */
  claim(own: OwnNode, mode: "register" | "reclaim"): Promise<Claim>;
  /** Rewrites the record of a node `own.holder` still holds; false when it does not. Publishes. */
  update(own: OwnNode): Promise<boolean>;
  /** Takes out a node `holder` still holds, and its places in `seats`' rooms. Publishes. */
  release(nodeId: string, holder: Holder, seats: readonly string[]): Promise<void>;
  node(nodeId: string): Promise<HeldEntry | undefined>;
  nodes(): Promise<HeldEntry[]>;
  putRoom(room: RoomRecord): Promise<PutRoomResult>;
  room(id: string): Promise<SharedRoom | undefined>;
  roomsOf(host: string): Promise<SharedRoom[]>;
  publicRooms(max: number): Promise<SharedRoom[]>;
  deleteRoom(id: string): Promise<string[] | undefined>;
  /** Seats `guest` in room `id`: true when new, false when seated already, undefined when no room. */
  join(id: string, guest: string): Promise<boolean | undefined>;
  leave(id: string, guest: string): Promise<boolean>;
  guests(id: string): Promise<string[]>;
  deliver(to: string, frame: string | Uint8Array): Promise<boolean>;
  hit(key: string, windowMs: number): Promise<number>;
  /** Refreshes this instance's leases and what it holds; prunes what lapsed. */
  heartbeat(holdings: Holdings): Promise<Beat>;
  /**
   * Takes out every node registered through this instance id and its instance entry, each node
   * published as left (a clean stop, or what a crashed run under the same id left at start).
   */
  goodbye(): Promise<void>;
}
