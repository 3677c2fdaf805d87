import type { z } from "zod";
import type { PairResult, PairStage, PeerMetrics, PeerRow } from "../../protocol/network.ts";
import { DIRECT, type PeerPath } from "../../protocol/peer.ts";
import { SEALED_BINARY } from "../../protocol/peer-binary.ts";
import type { NodeIdentity } from "../identity/identity.ts";
import type { Logger } from "../log.ts";
import type { FrameRejected } from "../wire/json-guard.ts";
import { SeenGuard } from "../wire/seen-guard.ts";
import type { AuditLog } from "./audit-log.ts";
import { acceptHandshake, dialHandshake, HandshakeError } from "./handshake.ts";
import { redeemInvite } from "./invite-redeemer.ts";
import type { Dialer } from "./links/dialer.ts";
import { CLOSE, DialError, type Link, type LinkCloseInfo } from "./links/link.ts";
import { toPeerMetrics, toPeerRow } from "./peer-rows.ts";
import { PeerSession, type SealedHeader, type SessionLimits } from "./peer-session.ts";
import type { PeerRecord, PeerStore } from "./peer-store.ts";
import { registerSessionTypes } from "./session-types.ts";
import type { Trust } from "./trust.ts";

/** A feature's handler for one peer message type; `data` is already parsed with its schema. */
export type PeerHandler<T> = (peer: PeerSession, data: T, env: SealedHeader) => void | Promise<void>;

/** Within this long after a link opens, a crossing link in the other direction is a dial race. */
const CROSSING_WINDOW_MS = 5_000;

export interface HubEvents {
  peerUpdate(row: PeerRow): void;
  peerRemoved(nodeId: string): void;
  /** A session ended; the redialer listens for this. */
  peerOffline(nodeId: string, info: LinkCloseInfo): void;
  /**
   * A session opened (also when it replaced another): features deliver what waited for this peer.
   * Unlike `peerUpdate`, which fires on every RTT change, this fires once per link.
   */
  peerOnline(nodeId: string): void;
  /** A person unblocked a peer: the redialer links it up again without waiting for a drop. */
  peerUnblocked(nodeId: string): void;
}

export interface PeerHubDeps {
  identity: NodeIdentity;
  peers: PeerStore;
  audit: AuditLog;
  trust: Trust;
  /** Holds the transports and tries a peer's paths; the hub never sees a transport. */
  dialer: Dialer;
  log: Logger;
  nodeName(): string;
  /** How other nodes reach this one, the preferred first (told in presence and invites). */
  paths(): PeerPath[];
  limits(): SessionLimits;
  capabilities: string[];
}

/** Refusal counters by frame code, for tests, metrics and the audit trail. */
export type RejectCounts = Record<string, number>;

/**
 * The node's peer fabric: who is linked, over which link, and which feature handles what. Knows
 * nothing of HTTP or sockets; transports hand it `Link`s (accept) or make them (dial).
 */
export class PeerHub {
  readonly #d: PeerHubDeps;
  readonly #sessions = new Map<string, PeerSession>();
  readonly #dialing = new Set<string>();
  /** Peers a person disconnected (here or there): not redialed until a link is made on purpose. */
  readonly #held = new Set<string>();
  readonly #handlers = new Map<
    string,
    { schema: z.ZodType; handler: PeerHandler<unknown>; fromAnyPeer: boolean }
  >();
  readonly #capabilities: string[];
  readonly #listeners = new Set<Partial<HubEvents>>();
  readonly #seen = new SeenGuard();
  readonly rejects: RejectCounts = {};
  #stopping = false;

  constructor(deps: PeerHubDeps) {
    this.#d = deps;
    this.#capabilities = [...deps.capabilities];
    registerSessionTypes(this, {
      presence: (session, p) => {
        session.peerName = p.node_name;
        deps.peers.touch(session.peerId, { nodeName: p.node_name });
        const paths = p.paths ?? p.addresses?.map((address) => ({ transport: DIRECT, address }));
        if (paths) deps.peers.paths.learn(session.peerId, paths, "presence");
        this.#emitRow(session.peerId);
      },
      goodbye: (session, bye) => {
        if (bye.hold) this.#held.add(session.peerId);
        session.close(CLOSE.normal, bye.reason ?? "goodbye");
      },
      error: (session, e) => deps.log.debug("peer reported an error", { node: session.peerId, ...e }),
    });
  }

  /**
   * Registers a peer message type: frames of it are parsed with `schema`, and reach `handler` only
   * from a trusted, unblocked peer unless `fromAnyPeer` (the session's own types). Only
   * registered types are accepted; any other gets `error`.
   */
  handle<S extends z.ZodType>(
    type: string,
    schema: S,
    handler: PeerHandler<z.output<S>>,
    options: { fromAnyPeer?: boolean } = {},
  ): void {
    if (this.#handlers.has(type)) throw new Error(`peer type ${type} registered twice`);
    this.#handlers.set(type, {
      schema,
      handler: handler as PeerHandler<unknown>,
      fromAnyPeer: options.fromAnyPeer === true,
    });
  }

  /** Adds capabilities to what this node lists in its hello (features do, before links open). */
  advertise(...capabilities: string[]): void {
    for (const c of capabilities) if (!this.#capabilities.includes(c)) this.#capabilities.push(c);
  }

  on(listener: Partial<HubEvents>): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  session(nodeId: string): PeerSession | undefined {
    return this.#sessions.get(nodeId);
  }

  /** What this node lists in its hello: wire forms it reads and features it offers. */
  get capabilities(): readonly string[] {
    return this.#capabilities;
  }

  sessions(): PeerSession[] {
    return [...this.#sessions.values()];
  }

  isDialing(nodeId: string): boolean {
    return this.#dialing.has(nodeId);
  }

  /** Paired and not blocked: the only peers a feature may share anything with. */
  isTrusted(nodeId: string): boolean {
    return this.#d.peers.isTrusted(nodeId);
  }

  isHeld(nodeId: string): boolean {
    return this.#held.has(nodeId);
  }

  /** Sends a sealed frame to a connected peer; false when it is not connected. */
  send(nodeId: string, type: string, data: unknown, re?: string): boolean {
    return this.#sessions.get(nodeId)?.send(type, data, re) ?? false;
  }

  /** An inbound link from a transport: run the acceptor handshake and trust, then link up. */
  async accept(link: Link): Promise<void> {
    if (this.#stopping) return link.close(CLOSE.goingAway, "node is stopping");
    try {
      const result = await acceptHandshake(link, {
        ...this.#common(),
        decide: async (claim) => this.#d.trust.decide(claim, link.remoteAddress),
      });
      this.#register(link, result);
    } catch (err) {
      this.#handshakeFailed(err, link);
    }
  }

  /**
   * Reaches a node over one of `paths` (tried in order, the preferred first) and links up. With
   * `expectKey`, the peer must present that key and a `token` goes along; without, the peer must
   * already trust us (or run open-lan). A refusal ends the attempt at once: a node that refused
   * us on one path refuses on all of them.
   */
  async dial(
    target: string | PeerPath | readonly PeerPath[],
    options: {
      expectKey?: Uint8Array;
      token?: string;
      expectId?: string;
      onStage?: (stage: PairStage, address: string) => void;
    } = {},
  ): Promise<PeerRow> {
    const { expectId, onStage } = options;
    if (expectId) this.#dialing.add(expectId);
    if (expectId) this.#emitRow(expectId);
    try {
      return await this.#d.dialer.reach(
        this.#pathsOf(target),
        (link, path) => this.#linkUp(link, path, options),
        {
          final: (err) => err instanceof HandshakeError && err.code === "refused",
          onAttempt: (path) => onStage?.("dialing", path.address),
        },
      );
    } finally {
      if (expectId) {
        this.#dialing.delete(expectId);
        this.#emitRow(expectId);
      }
    }
  }

  /** A person's `ws://` address becomes the path of the transport that dials it. */
  #pathsOf(target: string | PeerPath | readonly PeerPath[]): readonly PeerPath[] {
    if (typeof target !== "string") return "transport" in target ? [target] : target;
    const path = this.#d.dialer.pathOf(target);
    if (!path) {
      throw new DialError(
        "bad_address",
        `"${target.slice(0, 120)}" is not a peer address like ws://host:7420/peer-ws`,
      );
    }
    return [path];
  }

  /** The dialer's side of the handshake on a fresh link, then the pairing is remembered. */
  async #linkUp(
    link: Link,
    path: PeerPath,
    options: {
      expectKey?: Uint8Array;
      token?: string;
      onStage?: (stage: PairStage, address: string) => void;
    },
  ): Promise<PeerRow> {
    const { address } = path;
    try {
      options.onStage?.("handshaking", address);
      const result = await dialHandshake(link, {
        ...this.#common(),
        expectKey: options.expectKey,
        token: options.token,
        objection: (id, key) => this.#d.trust.objection(id, key),
      });
      const known = this.#d.peers.get(result.peerId);
      this.#d.peers.trust({
        nodeId: result.peerId,
        publicKey: Buffer.from(result.peerPublicKey).toString("base64"),
        nodeName: result.peerName,
        via: "dialed",
        path,
      });
      if (!known)
        this.#d.audit.record("pair", result.peerId, { via: "dialed", address, name: result.peerName });
      this.#register(link, result);
      options.onStage?.("connected", address);
      return this.row(result.peerId)!;
    } catch (err) {
      // What a hostile acceptor sent is counted like any refused inbound frame.
      if (err instanceof HandshakeError && err.frameCode) this.#count({ code: err.frameCode });
      throw err;
    }
  }

  /** Redeems an invite: tries its addresses in order (LAN first) until one links up. */
  pair(invite: string, onStage?: (stage: PairStage, address: string) => void): Promise<PairResult> {
    return redeemInvite(this, this.#d.identity.nodeId, invite, onStage);
  }

  /**
   * Ends the link to a peer. It stays paired; neither side redials it until someone connects on
   * purpose (`reconnect`, `connect`, a pairing), so a Disconnect button means what it says.
   */
  disconnect(nodeId: string, reason = "disconnected by user"): boolean {
    // Only a node this one knows can be held; an id made up by a tab must not grow the set.
    if (!this.#sessions.has(nodeId) && !this.#d.peers.get(nodeId)) return false;
    this.#held.add(nodeId);
    const session = this.#sessions.get(nodeId);
    if (!session) return false;
    session.send("goodbye", { reason, hold: true });
    session.close(CLOSE.normal, reason);
    return true;
  }

  /** Dials a known peer over its known paths (the one that last worked first), pinned to its key. */
  async reconnect(nodeId: string): Promise<PeerRow> {
    const peer = this.#d.peers.get(nodeId);
    if (!peer) throw new DialError("unreachable", `no peer ${nodeId}`);
    if (peer.blocked) throw new DialError("unreachable", "this peer is blocked; unblock it first");
    const paths = this.#d.peers.paths.list(nodeId);
    if (paths.length === 0) throw new DialError("unreachable", "no address is known for this peer");
    return this.dial(paths, {
      expectKey: Buffer.from(peer.publicKey, "base64"),
      expectId: nodeId,
    });
  }

  forget(nodeId: string): boolean {
    this.disconnect(nodeId, "forgotten");
    const removed = this.#d.peers.forget(nodeId);
    if (removed) {
      this.#d.audit.record("forget", nodeId);
      for (const l of this.#listeners) l.peerRemoved?.(nodeId);
    }
    return removed;
  }

  setBlocked(nodeId: string, blocked: boolean): boolean {
    if (!this.#d.peers.setBlocked(nodeId, blocked)) return false;
    this.#d.audit.record(blocked ? "block" : "unblock", nodeId);
    if (blocked) this.disconnect(nodeId, "blocked");
    else this.#held.delete(nodeId);
    this.#emitRow(nodeId);
    if (!blocked) for (const l of this.#listeners) l.peerUnblocked?.(nodeId);
    return true;
  }

  /** Tells every peer our current name and addresses (after a rename). */
  announce(): void {
    for (const s of this.#sessions.values()) this.#sendPresence(s);
  }

  /** Clean shutdown: `goodbye` to every peer so they mark us offline at once. */
  stop(): void {
    this.#stopping = true;
    for (const s of this.#sessions.values()) {
      s.send("goodbye", { reason: "node stopping" });
      s.close(CLOSE.goingAway, "node stopping");
    }
  }

  get stopping(): boolean {
    return this.#stopping;
  }

  row(nodeId: string): PeerRow | undefined {
    const rec = this.#d.peers.get(nodeId);
    return rec ? this.#toRow(rec) : undefined;
  }

  rows(): PeerRow[] {
    return this.#d.peers.list().map((r) => this.#toRow(r));
  }

  metrics(): PeerMetrics[] {
    return this.rows().map((r) => toPeerMetrics(r, this.#sessions.get(r.node_id)));
  }

  /** Tells listeners a row changed (status, RTT, name). */
  emitRow(nodeId: string): void {
    this.#emitRow(nodeId);
  }

  #toRow(rec: PeerRecord): PeerRow {
    const first = this.#d.peers.paths.list(rec.nodeId)[0];
    return toPeerRow(
      rec,
      this.#sessions.get(rec.nodeId),
      this.#dialing.has(rec.nodeId),
      first?.address ?? null,
    );
  }

  #common() {
    return {
      identity: this.#d.identity,
      nodeName: this.#d.nodeName(),
      capabilities: this.#d.capabilities,
      limits: this.#d.limits(),
      seen: this.#seen,
    };
  }

  #register(link: Link, result: Awaited<ReturnType<typeof acceptHandshake>>): void {
    if (this.#stopping) {
      link.close(CLOSE.goingAway, "node is stopping");
      return;
    }
    const session = new PeerSession({
      link,
      handshake: result,
      selfId: this.#d.identity.nodeId,
      limits: this.#d.limits(),
      binaryFrames: this.#capabilities.includes(SEALED_BINARY) && result.capabilities.includes(SEALED_BINARY),
      // A Map, not an object: a type named "__proto__" or "toString" finds nothing.
      types: (type) => this.#handlers.get(type)?.schema,
      events: {
        frame: (s, type, data, env) => this.#dispatch(s, type, data, env),
        rejected: (s, err) => this.#count(err, s),
        misbehaved: (s, kind, detail) =>
          this.#d.audit.record(
            kind === "rate_limit" ? "rate_limit_disconnect" : "bad_frames_disconnect",
            s.peerId,
            { detail },
          ),
        closed: (s, info) => this.#closed(s, info),
      },
    });
    const existing = this.#sessions.get(session.peerId);
    if (existing && !this.#keepNew(existing, session)) {
      session.close(CLOSE.policy, "a link to this node already exists");
      return;
    }
    this.#sessions.set(session.peerId, session);
    this.#held.delete(session.peerId);
    existing?.close(CLOSE.normal, "replaced by a newer link");
    session.start(result.leftover);
    this.#d.peers.touch(session.peerId, { nodeName: session.peerName, lastSeen: Date.now() });
    this.#sendPresence(session);
    this.#d.log.info("peer connected", {
      node: session.peerId,
      name: session.peerName,
      direction: link.direction,
    });
    this.#emitRow(session.peerId);
    for (const l of this.#listeners) l.peerOnline?.(session.peerId);
  }

  /**
   * A second link replaces the first, except when two nodes dial each other at once: then both
   * keep the link dialed by the smaller node id, so they agree without talking.
   */
  #keepNew(existing: PeerSession, fresh: PeerSession): boolean {
    const crossing =
      existing.direction !== fresh.direction && Date.now() - existing.establishedAt < CROSSING_WINDOW_MS;
    if (!crossing) return true;
    const weAreSmaller = this.#d.identity.nodeId < fresh.peerId;
    return weAreSmaller === (fresh.direction === "outbound");
  }

  #sendPresence(session: PeerSession): void {
    session.send("presence", { node_name: this.#d.nodeName(), paths: this.#d.paths().slice(0, 16) });
  }

  #dispatch(session: PeerSession, type: string, data: unknown, env: SealedHeader): void {
    const entry = this.#handlers.get(type);
    if (!entry) return;
    if (!entry.fromAnyPeer && !this.isTrusted(session.peerId)) {
      this.#count({ code: "untrusted" }, session);
      return;
    }
    try {
      const r = entry.handler(session, data, env);
      if (r instanceof Promise) r.catch((err) => this.#handlerFailed(type, err));
    } catch (err) {
      this.#handlerFailed(type, err);
    }
  }

  #closed(session: PeerSession, info: LinkCloseInfo): void {
    if (this.#sessions.get(session.peerId) !== session) return;
    this.#sessions.delete(session.peerId);
    this.#d.peers.touch(session.peerId, { lastSeen: session.lastSeen });
    this.#d.log.info("peer disconnected", { node: session.peerId, code: info.code, reason: info.reason });
    this.#emitRow(session.peerId);
    for (const l of this.#listeners) l.peerOffline?.(session.peerId, info);
  }

  #handshakeFailed(err: unknown, link: Link): void {
    if (err instanceof HandshakeError) {
      this.#count({ code: err.frameCode ?? `handshake_${err.code}` } as FrameRejected);
      // Someone holding another key claimed a paired node's id: a key mismatch, which is audited.
      const pinned = err.claim && this.#d.peers.get(err.claim.peerId);
      if (err.claim && pinned) {
        this.#d.audit.record("key_mismatch", err.claim.peerId, {
          presented: err.claim.publicKey,
          pinned: pinned.publicKey,
          address: link.remoteAddress,
        });
      }
      this.#d.log.info("inbound handshake failed", {
        from: link.remoteAddress,
        code: err.code,
        reason: err.message,
      });
    } else if (!(err instanceof DialError)) {
      this.#d.log.error("inbound handshake crashed", { error: (err as Error).message });
      link.close(CLOSE.protocolError, "handshake failed");
    }
  }

  #count(err: Pick<FrameRejected, "code">, session?: PeerSession): void {
    this.rejects[err.code] = (this.rejects[err.code] ?? 0) + 1;
    this.#d.log.debug("frame refused", { code: err.code, node: session?.peerId });
  }

  #handlerFailed(type: string, err: unknown): void {
    this.#d.log.error("peer message handler failed", { type, error: (err as Error).message });
  }

  #emitRow(nodeId: string): void {
    const row = this.row(nodeId);
    if (!row) return;
    for (const l of this.#listeners) l.peerUpdate?.(row);
  }
}
