import { randomBytes } from "node:crypto";
import {
  type LobbyClientMessage,
  REGISTER_PURPOSE,
  type RegisterProof,
  type RoomSummary,
} from "../protocol/lobby.ts";
import { type NodeIdentity, verifySignature } from "../server/identity/identity.ts";
import { nodeIdFromPublicKey } from "../server/identity/node-id.ts";
import type { Logger } from "../server/log.ts";
import { canonicalBytes } from "../server/wire/canonical-json.ts";
import type { Backplane, HeldNode } from "./backplane/backplane.ts";
import { Bucket, StrikeCounter } from "./budget.ts";
import { CLOSE, type Connection } from "./connection.ts";
import { Directory, type Member, nodeRecord } from "./directory.ts";
import { DirectoryChanges } from "./directory-changes.ts";
import type { LobbyLimits } from "./limits.ts";
import { closeRoom, guestLeft, renameHostedRooms } from "./room-ops.ts";
import { HeldRooms, RoomListing } from "./rooms.ts";

/** The Bun pub/sub topic every registered socket is subscribed to: directory deltas. */
export const DIRECTORY_TOPIC = "directory";

const DIRECTORY_FULL = "the directory is full: this node is registered but not listed";
/** A grace that could not end because the backplane was unreachable is looked at again this soon. */
const GRACE_RETRY_MS = 5_000;
/** The window `registrationsPerMinute` counts in. */
const REGISTRATION_WINDOW_MS = 60_000;

type Register = Extract<LobbyClientMessage, { type: "register" }>;
type Update = Extract<LobbyClientMessage, { type: "update" }>;

/** What the lobby counts; shown nowhere public, read by tests and benches. */
export interface LobbyCounters {
  registrations: number;
  refusedRegistrations: number;
  /** Frames refused at the edge (bad, over a message rate). */
  refused: number;
  relayed: number;
  relayDropped: number;
  /**
   * Relayed frames not forwarded because their receiver was not keeping up: the link they were
   * on was ended at both ends instead (those already on their way when it ended count too).
   */
  relayCut: number;
  undeliverable: number;
  /** `directory_changes` frames published, each to every registered socket. */
  directoryFlushes: number;
  sendBufferCloses: number;
}

export interface CoreOptions {
  identity: NodeIdentity;
  log: Logger;
  limits: LobbyLimits;
  /** What this instance shares with the lobby's other instances; its `instance` is this one's. */
  backplane: Backplane;
  /** Sends `text` to every socket subscribed to `topic`. */
  publish(topic: string, text: string): void;
}

/**
 * The lobby's state on this instance and what changes it: sockets, the nodes it holds and the
 * directory of every instance's, the rooms it answers for and their hosts' grace. What instances
 * share goes through the backplane (`lobby/backplane/backplane.ts`); a frame for a node this
 * instance holds never does, so one instance alone works as it did with everything in memory.
 */
export class LobbyCore {
  readonly lobbyId: string;
  /** Where this instance answers STUN (told to nodes in `registered`); set once it is bound. */
  stunPort: number | undefined;
  readonly instance: string;
  readonly limits: LobbyLimits;
  readonly log: Logger;
  readonly backplane: Backplane;
  readonly directory: Directory;
  /** Nodes other instances hold, as the backplane told of them. */
  readonly remote = new Map<string, HeldNode>();
  readonly rooms = new HeldRooms();
  readonly listing: RoomListing;
  readonly connections = new Set<Connection>();
  readonly counters: LobbyCounters = {
    registrations: 0,
    refusedRegistrations: 0,
    refused: 0,
    relayed: 0,
    relayDropped: 0,
    relayCut: 0,
    undeliverable: 0,
    directoryFlushes: 0,
    sendBufferCloses: 0,
  };
  /** Hosts that went away with rooms still open here, and when their grace ends. */
  readonly #grace = new Map<string, ReturnType<typeof setTimeout>>();
  /** Hosts registered on another instance whose rooms here may move there: looked up again later. */
  readonly #recheck = new Map<string, ReturnType<typeof setTimeout>>();
  /** Sockets whose `registered` is on its way: directory deltas reach them behind it. */
  readonly #registering = new Set<Connection>();
  #stopped = false;
  /** Directory deltas not yet sent: they go to everyone together, at most every `directoryFlushMs`. */
  readonly changes: DirectoryChanges;

  constructor(opts: CoreOptions) {
    this.lobbyId = opts.identity.nodeId;
    this.backplane = opts.backplane;
    this.instance = opts.backplane.instance;
    this.limits = opts.limits;
    this.directory = new Directory(opts.limits.directoryBytes);
    this.log = opts.log;
    this.listing = new RoomListing(() => this.backplane.publicRooms(this.limits.roomsListed));
    this.changes = new DirectoryChanges(opts.limits.directoryFlushMs, (text) => {
      this.counters.directoryFlushes += 1;
      opts.publish(DIRECTORY_TOPIC, text);
      for (const conn of this.#registering) conn.sendText(text);
    });
  }

  opened(conn: Connection): void {
    this.connections.add(conn);
  }

  /** Checks a registration against this socket's challenge and takes the node in. */
  register(conn: Connection, msg: Register): void {
    const refusal = this.#verify(conn, msg);
    if (refusal) {
      this.counters.refusedRegistrations += 1;
      this.log.debug("lobby: registration refused", { ip: conn.ip, reason: refusal });
      conn.error("auth", refusal, "register");
      conn.close(CLOSE.policy, "auth");
      return;
    }
    // Until `registered` is out, what the socket sends waits, and so does what it is sent.
    conn.hold();
    void this.#admit(conn, msg).catch((err: unknown) => {
      this.log.debug("lobby: a registration failed", { error: String(err) });
      conn.close(CLOSE.tryLater, "registration failed");
    });
  }

  async #admit(conn: Connection, msg: Register): Promise<void> {
    // Counted once the signature is checked, so only the node itself spends its registrations.
    // Counted wherever it registers: moving between instances gives it no fresh budget. With the
    // backplane unreachable each socket's own buckets still hold.
    const count = await this.backplane.hit(`register:${msg.node_id}`, REGISTRATION_WINDOW_MS).catch(() => 0);
    if (conn.closing) return;
    if (count > this.limits.registrationsPerMinute) {
      this.counters.refusedRegistrations += 1;
      conn.error("limit", "this node registers too often; try again in a minute", "register");
      conn.close(CLOSE.tryLater, "registering too often");
      return;
    }
    const previous = this.directory.get(msg.node_id);
    if (!previous && this.directory.size >= this.limits.maxNodes) {
      conn.error("limit", "this lobby holds as many nodes as it can", "register");
      conn.close(CLOSE.tryLater, "lobby full");
      return;
    }
    const member: Member = {
      id: msg.node_id,
      publicKey: msg.public_key,
      name: msg.node_name,
      capabilities: msg.capabilities,
      addresses: msg.addresses,
      listed: msg.listed,
      since: previous?.since ?? this.remote.get(msg.node_id)?.since ?? Date.now(),
      socket: conn,
      joined: previous?.joined ?? new Map(),
    };
    if (previous) {
      // The older socket goes; its close must not take the node (now on this socket) with it.
      const old = previous.socket as Connection;
      old.replaced = true;
      old.member = undefined;
      old.send({ type: "goodbye", reason: "replaced" });
      old.close(CLOSE.replaced, "replaced");
    }
    // Held on another instance until now: that one closes its socket, told by the backplane.
    this.remote.delete(member.id);
    const wasListed = this.directory.unlist(member.id);
    const now = performance.now();
    const l = this.limits;
    conn.member = member;
    conn.relayFrames = new Bucket(l.relayFramesPerSec, l.relayFramesBurst, now);
    conn.relayBytes = new Bucket(l.relayBytesPerSec, l.relayBytesBurst, now);
    conn.relayDrops = new StrikeCounter(l.relayDropsToClose, l.relayDropWindowMs);
    conn.lastPing = now;
    this.directory.put(member);
    // The directory as it was before this node: it does not list itself to itself. Changes not
    // yet sent are in it already and reach this socket again with the next flush: harmless, as
    // a presence replaces and a gone of a node it does not know does nothing.
    const directory = this.directory.entriesJson();
    const entry = member.listed ? this.directory.list(member) : undefined;
    if (entry) this.changes.listed(member.id, entry);
    else if (wasListed) this.changes.gone(member.id);
    const full = member.listed && !entry;
    if (full) member.listed = false;
    // Called now, so the backplane holds the node before anything else this socket asks of it.
    this.backplane.register(nodeRecord(member)).catch((err: unknown) => this.#unshared("register", err));
    this.#hostBack(member);
    this.counters.registrations += 1;
    this.#registering.add(conn);
    let rooms: RoomSummary[];
    try {
      rooms = await this.listRooms();
    } finally {
      this.#registering.delete(conn);
    }
    if (conn.closing || conn.member !== member) return;
    const session = randomBytes(16).toString("hex");
    const stun = this.stunPort === undefined ? "" : `,"stun_port":${this.stunPort}`;
    conn.release(
      `{"type":"registered","session":"${session}","directory":[${directory}],"rooms":${JSON.stringify(rooms)}${stun}}`,
    );
    conn.ws?.subscribe(DIRECTORY_TOPIC);
    if (full) conn.error("limit", DIRECTORY_FULL, "register");
  }

  update(member: Member, msg: Update): void {
    const wasListed = this.directory.isListed(member.id);
    const renamed = msg.node_name !== undefined && msg.node_name !== member.name;
    if (msg.node_name !== undefined) member.name = msg.node_name;
    if (msg.addresses !== undefined) member.addresses = msg.addresses;
    if (msg.listed !== undefined) member.listed = msg.listed;
    if (member.listed && (msg.node_name !== undefined || !wasListed)) {
      const entry = this.directory.list(member);
      if (entry) this.changes.listed(member.id, entry);
      else {
        member.listed = false;
        (member.socket as Connection).error("limit", DIRECTORY_FULL, "update");
      }
    } else if (!member.listed) this.directory.unlist(member.id);
    if (wasListed && !this.directory.isListed(member.id)) this.changes.gone(member.id);
    this.backplane.update(nodeRecord(member)).catch((err: unknown) => this.#unshared("update", err));
    if (renamed && this.rooms.countHostedBy(member.id) > 0) {
      (member.socket as Connection).serial(async () => {
        await renameHostedRooms(this, member);
        return undefined;
      }, "update");
    }
  }

  /** Public rooms of every instance whose host is registered, newest first. */
  listRooms(): Promise<RoomSummary[]> {
    return this.listing.get();
  }

  /**
   * Sends `text` to node `id`: through its socket when this instance holds it, else through the
   * backplane to whichever instance does (nothing happens when none does).
   */
  tell(id: string, text: string): void {
    const member = this.directory.get(id);
    if (member) member.socket.sendText(text);
    else this.backplane.deliver(id, text).catch(() => {});
  }

  /**
   * Hands a signal or relayed frame to node `to` on another instance. `undeliverable` runs when
   * no instance holds it (or the backplane cannot be reached), `delivered` once one took it.
   * Only for a node this instance does not hold: those go through their socket directly.
   */
  sendRemote(
    to: string,
    frame: string | Uint8Array,
    undeliverable: () => void,
    delivered?: () => void,
  ): void {
    // Nodes no instance told of cost the backplane nothing: a stream of frames to made-up ids stays here.
    if (!this.remote.has(to)) {
      undeliverable();
      return;
    }
    this.backplane.deliver(to, frame).then(
      (ok) => (ok ? delivered?.() : undeliverable()),
      () => undeliverable(),
    );
  }

  /** A socket closed: if it held a registration, the node leaves (its rooms wait for it a while). */
  closed(conn: Connection): void {
    this.connections.delete(conn);
    this.#registering.delete(conn);
    const member = conn.member;
    conn.member = undefined;
    if (!member || conn.replaced || this.directory.get(member.id)?.socket !== conn) return;
    if (this.directory.remove(member.id)) this.changes.gone(member.id);
    // Its places in rooms go with it in the backplane; the hosts are told here.
    this.backplane.unregister(member.id).catch((err: unknown) => this.#unshared("unregister", err));
    for (const [roomId, host] of member.joined) guestLeft(this, member.id, roomId, host);
    member.joined.clear();
    if (this.rooms.countHostedBy(member.id) > 0) {
      this.listing.invalidate();
      this.hostGone(member.id);
    }
  }

  /** `host`, which hosts rooms held here, is registered nowhere now: they close unless it is back in time. */
  hostGone(host: string, waitMs = this.limits.hostGraceMs): void {
    if (this.#stopped || this.#grace.has(host) || this.rooms.countHostedBy(host) === 0) return;
    const timer = setTimeout(() => void this.#graceOver(host), waitMs);
    timer.unref?.();
    this.#grace.set(host, timer);
  }

  /** `host` registered again, here or on another instance: its rooms stay. */
  hostBackElsewhere(host: string): void {
    const timer = this.#grace.get(host);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.#grace.delete(host);
    this.listing.invalidate();
  }

  /**
   * `host`, with rooms held here, is registered on another instance, where it may restore them:
   * a grace's time later, those now held there leave this instance's count.
   */
  recheckLater(host: string): void {
    if (this.#stopped || this.#recheck.has(host) || this.rooms.countHostedBy(host) === 0) return;
    const timer = setTimeout(async () => {
      this.#recheck.delete(host);
      try {
        this.rooms.reconcile(host, await this.backplane.roomsOf(host), this.instance);
      } catch {
        // Unreachable now: the host's next grace or room request puts it right.
      }
    }, this.limits.hostGraceMs);
    timer.unref?.();
    this.#recheck.set(host, timer);
  }

  /**
   * One pass over the sockets: unregistered ones past their time and silent ones close, the
   * rest are pinged on schedule. One timer for the whole lobby, not one per socket.
   */
  sweep(now: number): void {
    const l = this.limits;
    for (const conn of this.connections) {
      if (conn.closing) continue;
      if (!conn.member) {
        if (now - conn.openedAt > l.registerTimeoutMs) {
          conn.error("unregistered", "no registration in time");
          conn.close(CLOSE.policy, "registration timed out");
        }
        continue;
      }
      if (now - conn.lastSeen > l.silenceMs) {
        conn.close(CLOSE.shutdown, "silent too long");
      } else if (now - conn.lastPing >= l.heartbeatMs) {
        conn.lastPing = now;
        conn.sendText('{"type":"ping"}');
      }
    }
  }

  /** Every socket gets `goodbye` and a close; rooms' grace timers end with the lobby. */
  shutdown(reason: string): void {
    this.#stopped = true;
    for (const timer of [...this.#grace.values(), ...this.#recheck.values()]) clearTimeout(timer);
    this.#grace.clear();
    this.#recheck.clear();
    this.changes.stop();
    const goodbye = JSON.stringify({ type: "goodbye", reason });
    for (const conn of this.connections) {
      conn.sendText(goodbye);
      conn.close(CLOSE.shutdown, reason);
    }
  }

  #verify(conn: Connection, msg: Register): string | undefined {
    const key = new Uint8Array(Buffer.from(msg.public_key, "base64"));
    if (nodeIdFromPublicKey(key) !== msg.node_id) return "node_id is not the fingerprint of public_key";
    const proof: RegisterProof = {
      purpose: REGISTER_PURPOSE,
      nonce: conn.nonce,
      lobby_id: this.lobbyId,
      node_id: msg.node_id,
      public_key: msg.public_key,
    };
    const sig = new Uint8Array(Buffer.from(msg.sig, "base64"));
    if (!verifySignature(key, canonicalBytes(proof), sig)) {
      return "the signature does not cover this challenge with this key";
    }
    return undefined;
  }

  /** A host that came back within its grace keeps its rooms, shown under the name it has now. */
  #hostBack(member: Member): void {
    if (this.rooms.countHostedBy(member.id) === 0) return;
    this.hostBackElsewhere(member.id);
    this.listing.invalidate();
    if (this.rooms.hostedBy(member.id).some((r) => r.hostName !== member.name)) {
      (member.socket as Connection).serial(async () => {
        await renameHostedRooms(this, member);
        return undefined;
      });
    }
  }

  async #graceOver(host: string): Promise<void> {
    this.#grace.delete(host);
    if (this.#stopped || this.directory.get(host)) return;
    try {
      // Back on another instance: its rooms stay.
      if (await this.backplane.node(host)) return;
      const rooms = await this.backplane.roomsOf(host);
      if (this.directory.get(host)) return;
      this.rooms.reconcile(host, rooms, this.instance);
      for (const room of rooms) await closeRoom(this, room, "the host did not come back");
    } catch (err) {
      this.log.debug("lobby: a host's grace could not end; looking again shortly", { error: String(err) });
      this.hostGone(host, Math.min(this.limits.hostGraceMs, GRACE_RETRY_MS));
    }
  }

  /** The backplane could not take a change (it is degraded): it publishes it once it is back. */
  #unshared(what: string, err: unknown): void {
    this.log.debug(`lobby: the backplane took no ${what} now`, { error: String(err) });
  }
}
