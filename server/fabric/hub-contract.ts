import type { PeerRow } from "../../protocol/network.ts";
import type { PeerPath } from "../../protocol/peer.ts";
import type { NodeIdentity } from "../identity/identity.ts";
import type { Logger } from "../log.ts";
import type { AuditLog } from "./audit-log.ts";
import type { Dialer } from "./links/dialer.ts";
import type { LinkCloseInfo } from "./links/link.ts";
import type { SessionLimits } from "./peer-session.ts";
import type { PeerStore } from "./peer-store.ts";
import type { Trust } from "./trust.ts";

/** What the hub tells its listeners (features, the redialer, the network channel). */
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

/** What the hub is built from. */
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
  /**
   * The paths to a node through this node's lobby, best first (WebRTC, then the relay), for the
   * transports this node has; tried after the node's own addresses.
   */
  lobbyPaths?(nodeId: string): PeerPath[];
  limits(): SessionLimits;
  capabilities: string[];
}

/** Refusal counters by frame code, for tests, metrics and the audit trail. */
export type RejectCounts = Record<string, number>;
