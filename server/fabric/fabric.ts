import { SEALED_BINARY } from "../../protocol/peer-binary.ts";
import type { WeftDb } from "../db/database.ts";
import type { NodeIdentity } from "../identity/identity.ts";
import type { Logger } from "../log.ts";
import {
  enableDirect,
  maxFrameBytes,
  maxJsonDepth,
  nodeName,
  rateLimitBurst,
  rateLimitPerSec,
} from "../settings/network-settings.ts";
import type { SettingsStore } from "../settings/settings-store.ts";
import { AuditLog } from "./audit-log.ts";
import { InviteStore } from "./invite-store.ts";
import type { Transport } from "./link.ts";
import { LinkMonitor } from "./link-monitor.ts";
import { PeerHub } from "./peer-hub.ts";
import { PeerStore } from "./peer-store.ts";
import { Redialer } from "./redialer.ts";
import { createWebSocketTransport } from "./transports/websocket-transport.ts";
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
  transport?: Transport;
  pingIntervalMs?: number;
}): Fabric {
  const peers = new PeerStore(deps.db);
  const invites = new InviteStore(deps.db);
  const audit = new AuditLog(deps.db);
  const trust = new Trust({ peers, invites, audit, settings: deps.settings });
  const s = deps.settings;
  const hub = new PeerHub({
    identity: deps.identity,
    peers,
    audit,
    trust,
    transport: deps.transport ?? createWebSocketTransport(),
    log: deps.log,
    nodeName: deps.nodeName,
    addresses: deps.addresses,
    // Wire forms this node reads and writes; features add theirs when they have any to announce.
    capabilities: [SEALED_BINARY],
    canDial: () => s.get(enableDirect),
    limits: () => ({
      maxFrameBytes: s.get(maxFrameBytes),
      maxJsonDepth: s.get(maxJsonDepth),
      rateLimitPerSec: s.get(rateLimitPerSec),
      rateLimitBurst: s.get(rateLimitBurst),
    }),
  });
  const monitor = new LinkMonitor(hub, { intervalMs: deps.pingIntervalMs });
  const redialer = new Redialer({ hub, peers, log: deps.log, enabled: () => s.get(enableDirect) });
  const offSettings = s.onChange((changed) => {
    if (nodeName.key in changed) hub.announce();
  });
  return {
    hub,
    peers,
    invites,
    audit,
    trust,
    monitor,
    start() {
      monitor.start();
      redialer.start();
    },
    stop() {
      offSettings();
      redialer.stop();
      monitor.stop();
      hub.stop();
    },
  };
}
