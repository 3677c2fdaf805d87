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
import { Bucket, StrikeCounter } from "./budget.ts";
import { CLOSE, type Connection } from "./connection.ts";
import { Directory, type Member } from "./directory.ts";
import { DirectoryChanges } from "./directory-changes.ts";
import type { LobbyLimits } from "./limits.ts";
import { closeRoom, guestLeft } from "./room-ops.ts";
import { Rooms } from "./rooms.ts";

/** The Bun pub/sub topic every registered socket is subscribed to: directory deltas. */
export const DIRECTORY_TOPIC = "directory";

const DIRECTORY_FULL = "the directory is full: this node is registered but not listed";

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
  instance: string;
  /** Sends `text` to every socket subscribed to `topic`. */
  publish(topic: string, text: string): void;
}

/**
 * The lobby's state and what changes it: sockets, the registered nodes and their directory,
 * rooms and their hosts' grace. One instance's memory; everything here is O(1) per message
 * except what a message asks for in full (the directory at registration, a room listing).
 */
export class LobbyCore {
  readonly lobbyId: string;
  readonly instance: string;
  readonly limits: LobbyLimits;
  readonly log: Logger;
  readonly directory: Directory;
  readonly rooms = new Rooms();
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
  /** Hosts that went away with rooms still open, and when their grace ends. */
  readonly #grace = new Map<string, ReturnType<typeof setTimeout>>();
  /** Directory deltas not yet sent: they go to everyone together, at most every `directoryFlushMs`. */
  readonly changes: DirectoryChanges;

  constructor(opts: CoreOptions) {
    this.lobbyId = opts.identity.nodeId;
    this.instance = opts.instance;
    this.limits = opts.limits;
    this.directory = new Directory(opts.limits.directoryBytes);
    this.log = opts.log;
    this.changes = new DirectoryChanges(opts.limits.directoryFlushMs, (text) => {
      this.counters.directoryFlushes += 1;
      opts.publish(DIRECTORY_TOPIC, text);
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
      since: previous?.since ?? Date.now(),
      socket: conn,
      joined: previous?.joined ?? new Set(),
    };
    if (previous) {
      // The older socket goes; its close must not take the node (now on this socket) with it.
      const old = previous.socket as Connection;
      old.replaced = true;
      old.member = undefined;
      old.send({ type: "goodbye", reason: "replaced" });
      old.close(CLOSE.replaced, "replaced");
    }
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
    this.#hostBack(member);
    this.counters.registrations += 1;
    const session = randomBytes(16).toString("hex");
    const rooms = JSON.stringify(this.listRooms());
    conn.sendText(`{"type":"registered","session":"${session}","directory":[${directory}],"rooms":${rooms}}`);
    conn.ws?.subscribe(DIRECTORY_TOPIC);
    if (full) conn.error("limit", DIRECTORY_FULL, "register");
  }

  update(member: Member, msg: Update): void {
    const wasListed = this.directory.isListed(member.id);
    if (msg.node_name !== undefined) member.name = msg.node_name;
    if (msg.addresses !== undefined) member.addresses = msg.addresses;
    if (msg.listed !== undefined) member.listed = msg.listed;
    if (msg.node_name !== undefined) {
      for (const room of this.rooms.hostedBy(member.id)) room.hostName = member.name;
      this.rooms.changed();
    }
    if (member.listed && (msg.node_name !== undefined || !wasListed)) {
      const entry = this.directory.list(member);
      if (entry) {
        this.changes.listed(member.id, entry);
        return;
      }
      member.listed = false;
      (member.socket as Connection).error("limit", DIRECTORY_FULL, "update");
    } else if (!member.listed) this.directory.unlist(member.id);
    if (wasListed && !this.directory.isListed(member.id)) this.changes.gone(member.id);
  }

  listRooms(): RoomSummary[] {
    return this.rooms.listing(this.limits.roomsListed, (host) => this.directory.get(host) !== undefined);
  }

  /** A socket closed: if it held a registration, the node leaves (its rooms wait for it a while). */
  closed(conn: Connection): void {
    this.connections.delete(conn);
    const member = conn.member;
    conn.member = undefined;
    if (!member || conn.replaced || this.directory.get(member.id)?.socket !== conn) return;
    if (this.directory.remove(member.id)) this.changes.gone(member.id);
    for (const roomId of member.joined) guestLeft(this, member.id, roomId);
    member.joined.clear();
    if (this.rooms.countHostedBy(member.id) > 0) {
      this.rooms.changed();
      const timer = setTimeout(() => this.#graceOver(member.id), this.limits.hostGraceMs);
      timer.unref?.();
      this.#grace.set(member.id, timer);
    }
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
    for (const timer of this.#grace.values()) clearTimeout(timer);
    this.#grace.clear();
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

  /** A host that came back within its grace keeps its rooms. */
  #hostBack(member: Member): void {
    const timer = this.#grace.get(member.id);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.#grace.delete(member.id);
    for (const room of this.rooms.hostedBy(member.id)) room.hostName = member.name;
    this.rooms.changed();
  }

  #graceOver(host: string): void {
    this.#grace.delete(host);
    if (this.directory.get(host)) return;
    for (const room of this.rooms.hostedBy(host)) closeRoom(this, room, "the host did not come back");
  }
}
