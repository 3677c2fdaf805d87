import type { PairResult, PairStage, PathPolicy, PeerRow } from "../../protocol/network.ts";
import type { PeerPath } from "../../protocol/peer.ts";
import type { AuditLog } from "./audit-log.ts";
import { dialHandshake, type HandshakeCommon, HandshakeError, type HandshakeResult } from "./handshake.ts";
import { redeemInvite } from "./invite-redeemer.ts";
import type { Dialer } from "./links/dialer.ts";
import { DialError, type Link } from "./links/link.ts";
import type { PeerStore } from "./peer-store.ts";
import type { Trust } from "./trust.ts";

/** How a dial stays informed: the stage it reached, at which address. */
export interface DialOptions {
  /** The key the peer must present (from an invite or the pinned one). */
  expectKey?: Uint8Array;
  /** An invite token, sealed into `auth`. */
  token?: string;
  /** The node expected, shown as `connecting` while the dial runs. */
  expectId?: string;
  /**
   * How a new pairing is remembered: `dialed` by default, `room` for a lobby room's join,
   * `open-lan` for a node LAN discovery linked without an invite.
   */
  via?: "dialed" | "room" | "open-lan";
  onStage?: (stage: PairStage, address: string) => void;
}

/** What dialing needs of the hub: the handshake's common parts and where a session goes. */
export interface DialingDeps {
  selfId: string;
  dialer: Dialer;
  peers: PeerStore;
  audit: AuditLog;
  trust: Trust;
  common(): HandshakeCommon;
  /** A link whose handshake completed becomes a session; `reason` says why over that path. */
  register(link: Link, result: HandshakeResult, reason: string | undefined): void;
  /** A frame the other side sent during the handshake was refused. */
  count(code: string): void;
  row(nodeId: string): PeerRow | undefined;
  /** A node's `connecting` state changed. */
  dialingChanged(nodeId: string): void;
  /** The paths to a node through the lobby (WebRTC, the relay), best first, for the transports it has. */
  lobbyPaths?(nodeId: string): PeerPath[];
}

/** Whether a peer's path policy lets a link run over `transport`. */
export function allowedBy(policy: PathPolicy, transport: string): boolean {
  if (policy === "any") return true;
  if (transport === "relay") return false;
  return policy === "never-relay" || transport !== "webrtc";
}

/**
 * The dialing side of the hub: reaching a node over its paths, pinned to a key, and remembering
 * the pairing; invite redemption and reconnecting to a known peer are that with other inputs.
 */
export class PeerDialing {
  readonly #d: DialingDeps;
  readonly #dialing = new Set<string>();

  constructor(deps: DialingDeps) {
    this.#d = deps;
  }

  isDialing(nodeId: string): boolean {
    return this.#dialing.has(nodeId);
  }

  /**
   * Reaches a node over one of `paths` (tried in order, the preferred first) and links up. With
   * `expectKey`, the peer must present that key and a `token` goes along; without, the peer must
   * already trust us (or run open-lan). A refusal ends the attempt at once: a node that refused
   * us on one path refuses on all of them. A string is an address a person typed.
   */
  async dial(target: string | PeerPath | readonly PeerPath[], options: DialOptions = {}): Promise<PeerRow> {
    const { expectId, onStage } = options;
    if (expectId) {
      this.#dialing.add(expectId);
      this.#d.dialingChanged(expectId);
    }
    try {
      return await this.#d.dialer.reach(
        this.#pathsOf(target),
        (link, path, reason) => this.#linkUp(link, path, options, reason),
        {
          final: (err) => err instanceof HandshakeError && err.code === "refused",
          onAttempt: (path) => onStage?.("dialing", path.address),
        },
      );
    } finally {
      if (expectId) {
        this.#dialing.delete(expectId);
        this.#d.dialingChanged(expectId);
      }
    }
  }

  /** Redeems an invite: tries its paths in order (LAN first) until one links up. */
  pair(invite: string, onStage?: (stage: PairStage, address: string) => void): Promise<PairResult> {
    return redeemInvite(this, this.#d.selfId, invite, onStage);
  }

  /** Dials a known peer over its known paths (the one that last worked first), pinned to its key. */
  reconnect(nodeId: string): Promise<PeerRow> {
    const peer = this.#d.peers.get(nodeId);
    if (!peer) return Promise.reject(new DialError("unreachable", `no peer ${nodeId}`));
    if (peer.blocked)
      return Promise.reject(new DialError("unreachable", "this peer is blocked; unblock it first"));
    const paths = this.pathsOf(nodeId, peer.pathPolicy);
    if (paths.length === 0) {
      const why =
        peer.pathPolicy !== "any" && this.pathsOf(nodeId, "any").length > 0
          ? `its path policy (${peer.pathPolicy}) leaves no path this node knows for this peer`
          : "no address is known for this peer";
      return Promise.reject(new DialError("unreachable", why));
    }
    return this.dial(paths, { expectKey: Buffer.from(peer.publicKey, "base64"), expectId: nodeId });
  }

  /**
   * The paths to try for a known peer, the one that last worked first, as its path policy allows:
   * its stored paths, then the lobby's relay (every trusted peer may be reachable there, so no new
   * invite is needed after either side moved or restarted).
   */
  pathsOf(nodeId: string, policy: PathPolicy): PeerPath[] {
    const stored = this.#d.peers.paths.list(nodeId);
    const viaLobby = (this.#d.lobbyPaths?.(nodeId) ?? []).filter(
      (path) => !stored.some((p) => p.transport === path.transport),
    );
    return [...stored, ...viaLobby].filter((p) => allowedBy(policy, p.transport));
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
    options: DialOptions,
    reason: string | undefined,
  ): Promise<PeerRow> {
    const { address } = path;
    try {
      options.onStage?.("handshaking", address);
      const result = await dialHandshake(link, {
        ...this.#d.common(),
        expectKey: options.expectKey,
        token: options.token,
        objection: (id, key) => this.#d.trust.objection(id, key),
      });
      const known = this.#d.peers.get(result.peerId);
      this.#d.peers.trust({
        nodeId: result.peerId,
        publicKey: Buffer.from(result.peerPublicKey).toString("base64"),
        nodeName: result.peerName,
        via: options.via ?? "dialed",
        path,
      });
      if (!known)
        this.#d.audit.record("pair", result.peerId, {
          via: options.via ?? "dialed",
          address,
          name: result.peerName,
        });
      this.#d.register(link, result, reason);
      options.onStage?.("connected", address);
      return this.#d.row(result.peerId)!;
    } catch (err) {
      // What a hostile acceptor sent is counted like any refused inbound frame.
      if (err instanceof HandshakeError && err.frameCode) this.#d.count(err.frameCode);
      throw err;
    }
  }
}
