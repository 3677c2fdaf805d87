import { hostname } from "node:os";
import { builtinManifests } from "../plugins/builtin-manifests.ts";
import { systemClientEvent } from "../protocol/browser.ts";
import { PROTOCOL_VERSION } from "../protocol/version.ts";
import { registerChatPeerWire } from "./chat/chat-peer-wire.ts";
import { ChatService } from "./chat/chat-service.ts";
import { chatSettings, maxMessageBytes } from "./chat/chat-settings.ts";
import { MessageStore } from "./chat/message-store.ts";
import type { NodeOptions } from "./cli/args.ts";
import { registerCollabChannel } from "./collab/collab-channel.ts";
import { registerCollabPeerWire } from "./collab/collab-peer-wire.ts";
import { CollabService } from "./collab/collab-service.ts";
import { RoomStore } from "./collab/room-store.ts";
import { openDataDir } from "./data-dir.ts";
import { openDatabase } from "./db/database.ts";
import { createFabric, type Fabric } from "./fabric/fabric.ts";
import { warmUpFabric } from "./fabric/warm-up.ts";
import { createHttpApp } from "./http/app.ts";
import { browserEndpoint } from "./http/browser-endpoint.ts";
import type { HttpContext } from "./http/context.ts";
import { listen } from "./http/listener.ts";
import { loadOrCreateIdentity, type NodeIdentity } from "./identity/identity.ts";
import type { Logger } from "./log.ts";
import { peerAddresses } from "./network-addresses.ts";
import { NoticeService } from "./notices/notice-service.ts";
import { NoticeStore } from "./notices/notice-store.ts";
import { registerTrustNotices } from "./notices/trust-notices.ts";
import { PaneCatalog } from "./panes/pane-catalog.ts";
import { loadPlugins } from "./panes/plugin-loader.ts";
import { appearanceSettings } from "./settings/appearance-settings.ts";
import { httpSettings } from "./settings/http-settings.ts";
import {
  advertisedAddress,
  maxFrameBytes,
  maxJsonDepth,
  networkSettings,
  nodeName,
} from "./settings/network-settings.ts";
import { SettingsRegistry } from "./settings/registry.ts";
import { SettingsStore } from "./settings/settings-store.ts";
import { WEFT_VERSION } from "./version.ts";
import { BrowserHub } from "./ws/browser-hub.ts";
import { registerNetworkChannel } from "./ws/network-channel.ts";

export type NodeConfig = Omit<NodeOptions, "dataDir" | "open"> & {
  dataDir: string;
  uiDir?: string;
  /** Liveness ping interval; tests shorten it. */
  pingIntervalMs?: number;
};

/** A started node; `stop()` undoes `startNode` in reverse and may be called more than once. */
export interface RunningNode {
  identity: NodeIdentity;
  port: number;
  url: string;
  dataDir: string;
  settings: SettingsStore;
  browsers: BrowserHub;
  fabric: Fabric;
  collab: CollabService;
  chat: ChatService;
  /** The inbox; features `add()` notices to it. */
  notices: NoticeService;
  /**
   * The start-up crypto self-test, run once the listener is up (server/fabric/warm-up.ts); a
   * failure is logged as an error, and this resolves either way.
   */
  warmedUp: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Composes the node's parts in order: data dir (locked), identity, database, settings, panes,
 * the browser hub and the HTTP listener. A failure part-way releases what was already taken.
 */
export async function startNode(config: NodeConfig, log: Logger): Promise<RunningNode> {
  const startedAt = Date.now();
  const dir = openDataDir(config.dataDir);
  const undo: Array<() => void> = [() => dir.release()];
  try {
    const identity = await loadOrCreateIdentity(dir.paths.identityKey);
    const database = openDatabase(dir.paths.database);
    undo.push(() => database.close());

    const registry = new SettingsRegistry().declare(
      ...networkSettings,
      ...chatSettings,
      ...appearanceSettings,
      ...httpSettings,
    );
    const overrides = new Map<string, { value: unknown; from: string }>();
    if (config.name !== undefined) overrides.set(nodeName.key, { value: config.name, from: "--name" });
    const settings = new SettingsStore(database.db, registry, overrides);
    const panes = new PaneCatalog().addBuiltin(builtinManifests);
    // Every pane.json is judged here, before the listener starts and any plugin file is served.
    loadPlugins(panes, dir.paths.plugins, WEFT_VERSION, log);
    const browsers = new BrowserHub(log);

    let boundPort = 0;
    const effectiveName = () => settings.get(nodeName) || hostname();
    const addresses = () => peerAddresses(boundPort, config.host, settings.get(advertisedAddress));
    const fabric = createFabric({
      db: database.db,
      identity,
      settings,
      log,
      nodeName: effectiveName,
      addresses,
      pingIntervalMs: config.pingIntervalMs,
    });
    const chat = new ChatService({
      hub: fabric.hub,
      browsers,
      store: new MessageStore(database.db, identity.nodeId),
      log,
      maxMessageBytes: () => settings.get(maxMessageBytes),
    });
    const notices = new NoticeService({ store: new NoticeStore(database.db), browsers });
    const ctx: HttpContext = {
      identity,
      settings,
      fabric,
      chat,
      notices,
      panes,
      log,
      dataDir: dir.paths.root,
      startedAt,
      port: () => boundPort,
      nodeName: effectiveName,
      addresses,
    };

    const welcome = () => ({
      channel: "system",
      event: "welcome",
      data: {
        node_id: identity.nodeId,
        node_name: effectiveName(),
        version: WEFT_VERSION,
        protocol_version: PROTOCOL_VERSION,
        started_at: startedAt,
      },
    });
    browsers.onOpen((socket) => browsers.send(socket, welcome()));
    browsers.channel("system", systemClientEvent, (socket, msg) => {
      switch (msg.event) {
        case "hello":
          browsers.send(socket, welcome());
          return;
        default: {
          const never: never = msg.event;
          return never;
        }
      }
    });
    const offNetwork = registerNetworkChannel(browsers, ctx);
    const collab = new CollabService({
      hub: fabric.hub,
      browsers,
      store: new RoomStore(database.db),
      log,
      nodeId: identity.nodeId,
      nodeName: effectiveName,
      notify: (notice) => notices.add(notice),
      // Asked for every collab frame: a map lookup, not a scan of the listing.
      knowsPane: (id) => panes.usable(id) !== undefined,
      hostsRooms: (id) => panes.usable(id)?.collab !== undefined,
      paneTitle: (id) => panes.usable(id)?.title ?? id,
      autoShares: (id) => panes.usable(id)?.collab?.autoShare === true,
    });
    registerCollabChannel(collab, browsers);
    const offCollabWire = registerCollabPeerWire({ hub: fabric.hub, collab, log });
    chat.registerBrowserChannel();
    const offChatWire = registerChatPeerWire(fabric.hub, chat);
    notices.registerBrowserChannel();
    const offTrustNotices = registerTrustNotices(fabric.trust, notices);
    settings.onChange((changed) =>
      browsers.broadcast({ channel: "system", event: "settings_changed", data: { values: changed } }),
    );

    const app = createHttpApp(ctx, { uiDir: config.uiDir });
    const server = listen({
      host: config.host,
      port: config.port,
      fallback: !config.portExplicit,
      app,
      endpoints: [browserEndpoint(browsers, log), ...fabric.socketEndpoints],
      log,
    });
    boundPort = server.port ?? config.port;
    undo.push(() => {
      browsers.closeAll();
      void server.stop(true);
    });
    // After the listener, so it never delays the first answer; long before anyone can pair.
    const warmedUp = warmUpFabric(identity, {
      maxFrameBytes: settings.get(maxFrameBytes),
      maxJsonDepth: settings.get(maxJsonDepth),
    }).catch((err: Error) => log.error("fabric self-test failed", { error: err.message }));
    // Started last and stopped first: goodbyes go out while the sockets still work.
    fabric.start();
    undo.push(() => {
      offNetwork();
      offCollabWire();
      offChatWire();
      offTrustNotices();
      fabric.stop();
      // Before the database closes (an earlier undo step): nothing typed is lost on a clean stop.
      collab.stop();
    });

    let stopped = false;
    return {
      identity,
      port: boundPort,
      url: `http://localhost:${boundPort}/`,
      dataDir: dir.paths.root,
      settings,
      browsers,
      fabric,
      collab,
      chat,
      notices,
      warmedUp,
      async stop() {
        if (stopped) return;
        stopped = true;
        runUndo(undo, log);
      },
    };
  } catch (err) {
    runUndo(undo, log);
    throw err;
  }
}

function runUndo(undo: Array<() => void>, log: Logger): void {
  for (const step of undo.reverse()) {
    try {
      step();
    } catch (err) {
      log.warn("shutdown step failed", { error: (err as Error).message });
    }
  }
  undo.length = 0;
}
