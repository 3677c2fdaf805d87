import type { z } from "zod";
import type { PairResult, PairStage, PathPolicy, PeerMetrics, PeerRow } from "../../protocol/network.ts";
import type { PeerPath } from "../../protocol/peer.ts";
import { SEALED_BINARY } from "../../protocol/peer-binary.ts";
import type { PeerDataOf, PeerMessageName } from "../../protocol/peer-messages.ts";
import type { FrameRejected } from "../wire/json-guard.ts";
import { SeenGuard } from "../wire/seen-guard.ts";
import { acceptHandshake } from "./handshake.ts";
import { reportHandshakeFailure } from "./handshake-failures.ts";
import type { HubEvents, PeerHubDeps, RejectCounts } from "./hub-contract.ts";
import { CLOSE, type Link, type LinkCloseInfo } from "./links/link.ts";
import { MessageRegistry, type PeerHandler } from "./message-registry.ts";
import { PeerControls } from "./peer-controls.ts";
import { allowedBy, type DialOptions, PeerDialing } from "./peer-dialing.ts";
import { toPeerMetrics, toPeerRow } from "./peer-rows.ts";
import { keepsNewLink, PeerSession } from "./peer-session.ts";
import type { PeerRecord } from "./peer-store.ts";
import { registerSessionTypes } from "./session-types.ts";

export type { HubEvents, PeerHubDeps, RejectCounts } from "./hub-contract.ts";
export type { PeerHandler } from "./message-registry.ts";

/**
 * The node's peer fabric: who is linked, over which link, and which feature handles what. Knows
 * nothing of HTTP or sockets; transports hand it `Link`s (accept) or make them (dial).
 */
export class PeerHub {
  readonly #d: PeerHubDeps;
  readonly #sessions = new Map<string, PeerSession>();
  readonly #dialing: PeerDialing;
  readonly #controls: PeerControls;
  /** Peers a person disconnected (here or there): not redialed until a link is made on purpose. */
  readonly #held = new Set<string>();
  readonly #messages = new MessageRegistry();
  readonly #capabilities: string[];
  readonly #listeners = new Set<Partial<HubEvents>>();
  readonly #seen = new SeenGuard();
  readonly rejects: RejectCounts = {};
  #stopping = false;
  readonly #reports = {
    isTrusted: (nodeId: string) => this.isTrusted(nodeId),
    refused: (code: string, session: PeerSession) => this.#count({ code }, session),
    failed: (type: string, err: unknown) =>
      this.#d.log.error("peer message handler failed", { type, error: (err as Error).message }),
  };

  constructor(deps: PeerHubDeps) {
    this.#d = deps;
    this.#capabilities = [...deps.capabilities];
    this.#dialing = new PeerDialing({
      selfId: deps.identity.nodeId,
      dialer: deps.dialer,
      peers: deps.peers,
      audit: deps.audit,
      trust: deps.trust,
      common: () => this.#common(),
      register: (link, result, reason) => this.#register(link, result, reason),
      count: (code) => this.#count({ code }),
      row: (nodeId) => this.row(nodeId),
      dialingChanged: (nodeId) => this.emitRow(nodeId),
      lobbyPaths: deps.lobbyPaths,
    });
    this.#controls = new PeerControls({
      peers: deps.peers,
      audit: deps.audit,
      sessions: this.#sessions,
      held: this.#held,
      tell: (event) => {
        if (event.kind === "changed") this.emitRow(event.nodeId);
        for (const l of this.#listeners) {
          if (event.kind === "removed") l.peerRemoved?.(event.nodeId);
          if (event.kind === "unblocked") l.peerUnblocked?.(event.nodeId);
        }
      },
    });
    registerSessionTypes(this, {
      peers: deps.peers,
      log: deps.log,
      held: this.#held,
      rowChanged: (nodeId) => this.emitRow(nodeId),
    });
  }

  /** Registers a peer message type (message-registry.ts); only registered types are accepted. */
  handle<S extends z.ZodType>(
    type: string,
    schema: S,
    handler: PeerHandler<z.output<S>>,
    options: { fromAnyPeer?: boolean } = {},
  ): void {
    this.#messages.handle(type, schema, handler, options);
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
    return this.#dialing.isDialing(nodeId);
  }

  /** Paired and not blocked: the only peers a feature may share anything with. */
  isTrusted(nodeId: string): boolean {
    return this.#d.peers.isTrusted(nodeId);
  }

  isHeld(nodeId: string): boolean {
    return this.#held.has(nodeId);
  }

  /** Sends a sealed frame to a connected peer; false when it is not connected. */
  send<T extends PeerMessageName>(nodeId: string, type: T, data: PeerDataOf<T>, re?: string): boolean {
    return this.#sessions.get(nodeId)?.send(type, data, re) ?? false;
  }

  /** `send` for a type outside the protocol's table (tests, benches); see `PeerSession.sendRaw`. */
  sendRaw(nodeId: string, type: string, data: unknown): boolean {
    return this.#sessions.get(nodeId)?.sendRaw(type, data) ?? false;
  }

  /** An inbound link from a transport: run the acceptor handshake and trust, then link up. */
  async accept(link: Link): Promise<void> {
    if (this.#stopping) return link.close(CLOSE.goingAway, "node is stopping");
    try {
      const result = await acceptHandshake(link, {
        ...this.#common(),
        decide: async (claim) => {
          // A person who said "never relay" for a peer means both ways.
          const policy = this.#d.peers.get(claim.peerId)?.pathPolicy ?? "any";
          if (!allowedBy(policy, link.transport)) {
            const reason = `this node takes no ${link.transport} links from you`;
            this.#d.audit.record("refuse", claim.peerId, { reason, address: link.remoteAddress });
            return { ok: false, reason };
          }
          return this.#d.trust.decide(claim, link.remoteAddress);
        },
      });
      this.#register(link, result, undefined);
    } catch (err) {
      reportHandshakeFailure(err, link, {
        count: (code) => this.#count({ code }),
        peers: this.#d.peers,
        audit: this.#d.audit,
        log: this.#d.log,
      });
    }
  }

  /** Reaches a node over its paths and links up (peer-dialing.ts). */
  dial(target: string | PeerPath | readonly PeerPath[], options?: DialOptions): Promise<PeerRow> {
    return this.#dialing.dial(target, options);
  }

  /** Redeems an invite: tries its paths in order (LAN first) until one links up. */
  pair(invite: string, onStage?: (stage: PairStage, address: string) => void): Promise<PairResult> {
    return this.#dialing.pair(invite, onStage);
  }

  /** Dials a known peer over its known paths, pinned to its key. */
  reconnect(nodeId: string): Promise<PeerRow> {
    return this.#dialing.reconnect(nodeId);
  }

  /** Ends the link to a peer, held until someone connects on purpose (peer-controls.ts). */
  disconnect(nodeId: string, reason = "disconnected by user"): boolean {
    return this.#controls.disconnect(nodeId, reason);
  }

  /** Disconnects and forgets the pairing; audited. */
  forget(nodeId: string): boolean {
    return this.#controls.forget(nodeId);
  }

  /** Blocks (and disconnects) or unblocks a peer; audited. */
  setBlocked(nodeId: string, blocked: boolean): boolean {
    return this.#controls.setBlocked(nodeId, blocked);
  }

  /** Which paths a peer's links may use (peer-controls.ts); false for an unknown peer. */
  setPathPolicy(nodeId: string, policy: PathPolicy): boolean {
    return this.#controls.setPathPolicy(nodeId, policy);
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

  #toRow(rec: PeerRecord): PeerRow {
    const address = this.#d.peers.paths.list(rec.nodeId)[0]?.address ?? null;
    return toPeerRow(rec, this.#sessions.get(rec.nodeId), this.#dialing.isDialing(rec.nodeId), address);
  }

  #common() {
    return {
      identity: this.#d.identity,
      nodeName: this.#d.nodeName(),
      capabilities: this.#capabilities,
      limits: this.#d.limits(),
      seen: this.#seen,
    };
  }

  #register(
    link: Link,
    result: Awaited<ReturnType<typeof acceptHandshake>>,
    reason: string | undefined,
  ): void {
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
      types: (type) => this.#messages.schemaOf(type),
      events: {
        frame: (s, type, data, env) => this.#messages.dispatch(s, type, data, env, this.#reports),
        rejected: (s, err) => this.#count(err, s),
        misbehaved: (s, kind, detail) => this.#d.audit.record(`${kind}_disconnect`, s.peerId, { detail }),
        closed: (s, info) => this.#closed(s, info),
      },
    });
    session.pathReason = pathReasonOf(link, reason);
    const existing = this.#sessions.get(session.peerId);
    if (existing && !keepsNewLink(existing, session, this.#d.identity.nodeId)) {
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
    this.emitRow(session.peerId);
    for (const l of this.#listeners) l.peerOnline?.(session.peerId);
  }

  /** The paths to try for a known peer, as its policy allows (peer-dialing.ts). */
  pathsOf(nodeId: string): PeerPath[] {
    return this.#dialing.pathsOf(nodeId, this.#d.peers.get(nodeId)?.pathPolicy ?? "any");
  }

  #sendPresence(session: PeerSession): void {
    session.send("presence", { node_name: this.#d.nodeName(), paths: this.#d.paths().slice(0, 16) });
  }

  #closed(session: PeerSession, info: LinkCloseInfo): void {
    if (this.#sessions.get(session.peerId) !== session) return;
    this.#sessions.delete(session.peerId);
    this.#d.peers.touch(session.peerId, { lastSeen: session.lastSeen });
    this.#d.log.info("peer disconnected", { node: session.peerId, code: info.code, reason: info.reason });
    this.emitRow(session.peerId);
    for (const l of this.#listeners) l.peerOffline?.(session.peerId, info);
  }

  #count(err: Pick<FrameRejected, "code">, session?: PeerSession): void {
    this.rejects[err.code] = (this.rejects[err.code] ?? 0) + 1;
    this.#d.log.debug("frame refused", { code: err.code, node: session?.peerId });
  }

  /** Tells listeners a row changed (status, RTT, name). */
  emitRow(nodeId: string): void {
    const row = this.row(nodeId);
    if (!row) return;
    for (const l of this.#listeners) l.peerUpdate?.(row);
  }
}

/** What the peer row says about the path: the dialer's reason, or what the transport implies. */
function pathReasonOf(link: Link, reason: string | undefined): string {
  if (link.transport === "webrtc") {
    // A TURN server's candidate means the bytes pass through it: said, as the relay's is.
    const turn = link.route?.includes("relay ") ? ", through the TURN server" : "";
    return link.route ? `webrtc: ${link.route}${turn}` : "webrtc";
  }
  if (link.transport !== "relay") return link.transport;
  if (reason) return `relayed: ${reason}`;
  return link.direction === "inbound"
    ? "relayed: the peer reached this node through the lobby"
    : "relayed through the lobby";
}
