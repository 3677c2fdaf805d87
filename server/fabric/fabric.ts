import type { PeerPath } from "../../protocol/peer.ts";
import { SEALED_BINARY } from "../../protocol/peer-binary.ts";
import type { WeftDb } from "../db/database.ts";
import type { NodeIdentity } from "../identity/identity.ts";
import type { Logger } from "../log.ts";
import {
  enableDirect,
  maxFrameBytes,
  maxJsonDepth,
  maxPendingHandshakes,
  maxPendingHandshakesPerAddress,
  nodeName,
  rateLimitBurst,
  rateLimitPerSec,
} from "../settings/network-settings.ts";
import type { SettingsStore } from "../settings/settings-store.ts";
import type { SocketEndpoint } from "../wire/socket-endpoint.ts";
import { AuditLog } from "./audit-log.ts";
import { InviteStore } from "./invite-store.ts";
import { LinkMonitor } from "./link-monitor.ts";
import { Dialer } from "./links/dialer.ts";
import type { Transport } from "./links/link.ts";
import { PendingHandshakes } from "./links/pending-handshakes.ts";
import { RELAY, relayAddress } from "./links/relay-transport.ts";
import { WEBRTC, webrtcAddress } from "./links/webrtc-link.ts";
import { createWebSocketTransport, DIRECT } from "./links/websocket-transport.ts";
import { PathUpgrader } from "./path-upgrader.ts";
import { PeerHub } from "./peer-hub.ts";
import { PeerStore } from "./peer-store.ts";
import { Redialer } from "./redialer.ts";
import { Trust } from "./trust.ts";

/** The node's peer fabric as one part with a start/stop lifecycle. */
export interface Fabric {
  hub: PeerHub;
  peers: PeerStore;
  invites: InviteStore;
  audit: AuditLog;
  /** The acceptor's trust decisions; `on()` hears of used invites and blocked attempts. */
  trust: Trust;
  monitor: LinkMonitor;
  /** How other nodes reach this one, as typed paths (told in presence and put in invites). */
  paths(): PeerPath[];
  /** The WebSocket routes the transports serve (`/peer-ws`), for the node's listener. */
  socketEndpoints: SocketEndpoint[];
  /** Starts accepting links on every transport, the link monitor and the redialer. */
  start(): void;
  stop(): void;
}

export function createFabric(deps: {
  db: WeftDb;
  identity: NodeIdentity;
  settings: SettingsStore;
  log: Logger;
  nodeName(): string;
  addresses(): string[];
  /** The transports to dial and listen on; the direct WebSocket one by default. */
  transports?: Transport[];
  /** Transports beside the default ones (the relay over the node's lobby socket). */
  moreTransports?: Transport[];
  /** How often relayed peers' better paths are tried again; tests shorten it. */
  upgradeIntervalMs?: number;
  pingIntervalMs?: number;
}): Fabric {
  const peers = new PeerStore(deps.db);
  const invites = new InviteStore(deps.db);
  const audit = new AuditLog(deps.db);
  const trust = new Trust({ peers, invites, audit, settings: deps.settings });
  const s = deps.settings;
  const directOff = () =>
    s.get(enableDirect) ? undefined : "direct links are turned off in settings (network.enableDirect)";
  const transports = [
    ...(deps.transports ?? [
      createWebSocketTransport({
        refuseAll: () => (s.get(enableDirect) ? undefined : "this node does not accept direct links"),
        pending: new PendingHandshakes(() => ({
          total: s.get(maxPendingHandshakes),
          perAddress: s.get(maxPendingHandshakesPerAddress),
        })),
      }),
    ]),
    ...(deps.moreTransports ?? []),
  ];
  const dialer = new Dialer({ transports, disabled: (name) => (name === DIRECT ? directOff() : undefined) });
  // Each address this node listens at, typed by the transport that serves it.
  const paths = () =>
    deps.addresses().flatMap((address) => {
      const path = dialer.pathOf(address);
      return path ? [path] : [];
    });
  const hub = new PeerHub({
    identity: deps.identity,
    peers,
    audit,
    trust,
    dialer,
    log: deps.log,
    nodeName: deps.nodeName,
    paths,
    lobbyPaths: (nodeId) =>
      [
        { transport: WEBRTC, address: webrtcAddress(nodeId) },
        { transport: RELAY, address: relayAddress(nodeId) },
      ].filter((path) => dialer.transportFor(path) !== undefined),
    // Wire forms this node reads and writes; features add theirs when they have any to announce.
    capabilities: [SEALED_BINARY],
    limits: () => ({
      maxFrameBytes: s.get(maxFrameBytes),
      maxJsonDepth: s.get(maxJsonDepth),
      rateLimitPerSec: s.get(rateLimitPerSec),
      rateLimitBurst: s.get(rateLimitBurst),
    }),
  });
  const monitor = new LinkMonitor(hub, { intervalMs: deps.pingIntervalMs });
  const redialer = new Redialer({ hub, peers, log: deps.log, enabled: () => true });
  const upgrader = new PathUpgrader({ hub, peers, log: deps.log, intervalMs: deps.upgradeIntervalMs });
  const offSettings = s.onChange((changed) => {
    if (nodeName.key in changed) hub.announce();
  });
  let stopListening = () => {};
  let stopped = false;
  return {
    hub,
    peers,
    invites,
    audit,
    trust,
    monitor,
    paths,
    socketEndpoints: transports.flatMap((t) => (t.endpoint ? [t.endpoint] : [])),
    start() {
      stopListening = dialer.listen((link) => hub.accept(link));
      monitor.start();
      redialer.start();
      upgrader.start();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      stopListening();
      offSettings();
      redialer.stop();
      upgrader.stop();
      monitor.stop();
      hub.stop();
    },
  };
}
