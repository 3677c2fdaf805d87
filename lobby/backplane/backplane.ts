import type { RoomPolicy, RoomVisibility } from "../../protocol/lobby.ts";

/**
 * What the lobby shares between its instances (docs/architecture.md, "The lobby", Instances). One instance
 * alone keeps it in memory (`memory-backplane.ts`); several behind one name keep it in Redis
 * (`redis-backplane.ts`) and nothing else passes between them. Both run one contract suite
 * (`tests/lobby/backplane/backplane-contract.ts`).
 *
 * What is shared: which instance holds each registered node (the newest registration wins),
 * the nodes' records (what the directory and room joins show), rooms by id (unique across
 * instances) with their guests and token hashes, counters for rate limits across instances, and
 * delivery of a frame to whichever instance holds a node. Never shared: sockets, private keys,
 * room tokens (only their sha256), anything relayed beyond the frame in flight.
 *
 * Presence is leased: an instance refreshes what it holds (its nodes, its rooms, its nodes'
 * places in rooms) every quarter of `presenceTtlMs`, so what a killed instance held is gone from
 * every other instance's view, and from the shared store, within that time.
 *
 * When the shared store cannot be reached the backplane is `degraded`: calls that need it reject
 * with `BackplaneUnavailableError` at once (nothing is queued), while what this instance holds
 * is still recorded here and published again, whole, when the store is back; the listener then
 * hears of every other instance's nodes again, so a directory built from its events catches up.
 */
export interface Backplane {
  /** This instance's id: short, `[A-Za-z0-9_-]`, unique among the instances of one lobby. */
  readonly instance: string;

  /** How long what an instance holds outlives its last refresh, in ms (default 30 s). */
  readonly presenceTtlMs: number;

  /**
   * Connects, subscribes this instance's deliveries and announces the instance. `listener` then
   * hears of every node other instances hold (a `nodeChanged` each) and of what follows.
   * Rejects with `BackplaneUnavailableError` when the store cannot be reached.
   */
  start(listener: BackplaneListener): Promise<void>;

  /**
   * Takes this instance's nodes back (they leave every other instance's directory at once) and
   * disconnects. Its rooms are left to lapse within the lease, so a host that moves to another
   * instance can restore them there. Resolves even when the store is down.
   */
  stop(): Promise<void>;

  /** `ok` while the store answers; `degraded` from a lost connection until it is back and caught up. */
  health(): BackplaneHealth;

  /**
   * Records that this instance holds `node`, replacing any other registration of it anywhere.
   * Resolves with the instance that held it before, if any, which closes its socket as
   * `replaced` (told through `BackplaneListener.replaced`). When degraded it rejects, and the
   * registration is kept here all the same and published when the store is back.
   */
  register(node: NodeRecord): Promise<Registration>;

  /**
   * A node this instance holds changed (name, addresses, listed). Does nothing for a node this
   * instance does not hold. When degraded it rejects, and the change is published when the store
   * is back.
   */
  update(node: NodeRecord): Promise<void>;

  /**
   * This instance no longer holds `nodeId` (its socket closed). Takes nothing from a newer
   * registration elsewhere, and its places in rooms go with it. When degraded it rejects, and
   * the node is taken out of the store when it is back.
   */
  unregister(nodeId: string): Promise<void>;

  /** The node registered as `nodeId` anywhere, with the instance holding it. */
  node(nodeId: string): Promise<HeldNode | undefined>;

  /** Every registered node on every instance, listed or not, in no particular order. */
  nodes(): Promise<HeldNode[]>;

  /**
   * Creates `room`, held by this instance, or (same id, same host) replaces the record of the
   * host's room: a host restoring its room after a restart, perhaps on another instance, which
   * then holds it. `taken` when another host holds a room with this id, and nothing changes.
   * Ids are unique across instances. When degraded it rejects and nothing is recorded.
   */
  putRoom(room: RoomRecord): Promise<PutRoomResult>;

  /** The room with this id, wherever it is held, with its members counted. */
  room(id: string): Promise<SharedRoom | undefined>;

  /** The rooms `host` holds, wherever they are held (for the per-host cap and a host's going). */
  roomsOf(host: string): Promise<SharedRoom[]>;

  /** Public rooms whose host is registered, newest first, at most `max`. */
  publicRooms(max: number): Promise<SharedRoom[]>;

  /**
   * Ends the room `id`, whichever instance holds it, and resolves with the guests it had, to be
   * told `room_closed`; `undefined` when there was no such room. When degraded it rejects, and
   * the room is taken out of the store when it is back.
   */
  deleteRoom(id: string): Promise<string[] | undefined>;

  /**
   * `guest` (a node this instance holds) joins room `id`; false when it was in it already.
   * Rejects with `NoSuchRoomError` when the room is gone.
   */
  joinRoom(id: string, guest: string): Promise<boolean>;

  /** `guest` leaves room `id`; false when it was not in it (or the room is gone). */
  leaveRoom(id: string, guest: string): Promise<boolean>;

  /** The guests of room `id`, the host not among them; empty when the room is gone. */
  roomGuests(id: string): Promise<string[]>;

  /**
   * Hands `frame` to the instance holding `to` (this one included), where the listener's
   * `delivery` gets it. False when no instance holds `to`. Binary frames keep their bytes.
   * At most once: a frame in flight while the store drops may be lost, as a socket's would.
   */
  deliver(to: string, frame: string | Uint8Array): Promise<boolean>;

  /**
   * Counts one event against `key` in the current window of `windowMs` and resolves with the
   * count so far in it, the same on every instance: a rate limit every instance enforces alike.
   */
  hit(key: string, windowMs: number): Promise<number>;
}

/** What a backplane tells the instance it serves. Every handler is called synchronously and must not throw. */
export interface BackplaneListener {
  /** A frame `deliver` sent, on any instance, to `to`: a node this instance holds (or held). */
  delivery(to: string, frame: string | Uint8Array): void;
  /** Another instance registered or changed a node (or, after an outage, still holds it). */
  nodeChanged(node: HeldNode): void;
  /**
   * A node another instance held is no longer registered anywhere: it unregistered, or its
   * instance stopped refreshing it (killed) for `presenceTtlMs`.
   */
  nodeLeft(nodeId: string): void;
  /**
   * A node this instance holds registered on another instance since: its socket here closes
   * as `replaced`. The backplane has already forgotten it here.
   */
  replaced(nodeId: string): void;
  /**
   * A guest of a room this instance holds is gone with its instance (not refreshed for
   * `presenceTtlMs`): the host is told `peer_left`.
   */
  guestExpired(roomId: string, guest: string): void;
  /**
   * A room a node of this instance sat in is gone without this instance hearing it close: it
   * lapsed with the instance that held it (killed, its host not back elsewhere within the lease),
   * or was ended elsewhere. The guest is told `room_closed` unless it was told already.
   */
  seatLost(roomId: string, guest: string): void;
  /** The backplane went `degraded`, or is `ok` again with this instance's state published anew. */
  health(status: BackplaneHealth): void;
}

export type BackplaneHealth = "ok" | "degraded";

/** A registered node as every instance may see it. Addresses go only to the ends of a room join. */
export interface NodeRecord {
  readonly nodeId: string;
  /** Standard base64 of the raw Ed25519 key. */
  readonly publicKey: string;
  readonly name: string;
  readonly capabilities: readonly string[];
  readonly addresses: readonly string[];
  readonly listed: boolean;
  /** When it registered (ms since the epoch). */
  readonly since: number;
}

/** A node with the instance that holds it. */
export interface HeldNode extends NodeRecord {
  readonly instance: string;
}

export interface Registration {
  /** The instance that held this node until now, this one included; undefined when none did. */
  readonly previous: string | undefined;
}

/** A room as the lobby keeps it: a token room's token only as its sha256. */
export interface RoomRecord {
  /** 128 bits, lowercase hex. */
  readonly id: string;
  readonly name: string;
  /** The hosting node's id. */
  readonly host: string;
  readonly hostName: string;
  readonly visibility: RoomVisibility;
  readonly policy: RoomPolicy;
  /** sha256 of the room token, lowercase hex; undefined for an open room. */
  readonly tokenHash: string | undefined;
  /** When it was first created (ms since the epoch); a restore keeps it. Listings are newest first. */
  readonly createdAt: number;
}

/** A room as read back: who holds it and how many nodes are in it. */
export interface SharedRoom extends RoomRecord {
  /** The instance whose `putRoom` made or last restored it. */
  readonly instance: string;
  /** Nodes in the room, the host included. */
  readonly members: number;
}

/** `created`: a new room. `replaced`: the host's room, its record replaced. `taken`: another host's. */
export type PutRoomResult = "created" | "replaced" | "taken";

/** The shared store cannot be reached (or stopped answering): the backplane is `degraded`. */
export class BackplaneUnavailableError extends Error {
  override readonly name = "BackplaneUnavailableError";
}

/** `joinRoom` of a room that is not there (any more). */
export class NoSuchRoomError extends Error {
  override readonly name = "NoSuchRoomError";
}

/** What an instance id may be: it names the instance's channel and keys in the store. */
export const INSTANCE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The default lease on what an instance holds (docs/architecture.md, "The lobby"). */
export const DEFAULT_PRESENCE_TTL_MS = 30_000;

/** Throws for an instance id that cannot name a channel or a key. */
export function checkInstanceId(instance: string): string {
  if (!INSTANCE_ID.test(instance)) {
    throw new RangeError(`an instance id is 1-64 of A-Z a-z 0-9 _ -, got "${instance}"`);
  }
  return instance;
}
