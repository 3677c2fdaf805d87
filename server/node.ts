import { hostname } from "node:os";
import { builtinManifests } from "../plugins/builtin-manifests.ts";
import { agentFeature } from "./agents/agent-feature.ts";
import { chatFeature } from "./chat/chat-feature.ts";
import type { ChatService } from "./chat/chat-service.ts";
import type { NodeOptions } from "./cli/args.ts";
import { collabFeature } from "./collab/collab-feature.ts";
import type { CollabService } from "./collab/collab-service.ts";
import { openDataDir } from "./data-dir.ts";
import { openDatabase } from "./db/database.ts";
import { createFabric, type Fabric } from "./fabric/fabric.ts";
import { warmUpFabric } from "./fabric/warm-up.ts";
import { composeFeatures } from "./features/compose.ts";
import type { FeatureApis, FeatureContext, FeatureDefinition } from "./features/feature.ts";
import { nodeFeatures } from "./features/node-features.ts";
import { createHttpApp } from "./http/app.ts";
import { browserEndpoint } from "./http/browser-endpoint.ts";
import { listen } from "./http/listener.ts";
import { loadOrCreateIdentity, type NodeIdentity } from "./identity/identity.ts";
import { createLobbyParts } from "./lobby/lobby-parts.ts";
import type { Logger } from "./log.ts";
import { type AskPeer, askPeerThrough, cannotAskYet } from "./mcp/ask-peer.ts";
import { createMcpEndpoint } from "./mcp/mcp-endpoint.ts";
import { loopbackUrl, writeNodeRecord } from "./mcp/node-record.ts";
import { peerAddresses } from "./network-addresses.ts";
import { NoticeService } from "./notices/notice-service.ts";
import { NoticeStore } from "./notices/notice-store.ts";
import { PaneCatalog } from "./panes/pane-catalog.ts";
import { loadPlugins } from "./panes/plugin-loader.ts";
import { isCompiled } from "./resources.ts";
import { appearanceSettings } from "./settings/appearance-settings.ts";
import { httpSettings } from "./settings/http-settings.ts";
import { advertisedAddress, maxFrameBytes, maxJsonDepth, nodeName } from "./settings/network-settings.ts";
import { SettingsRegistry } from "./settings/registry.ts";
import { SettingsStore } from "./settings/settings-store.ts";
import { WEFT_VERSION } from "./version.ts";
import { BrowserHub } from "./ws/browser-hub.ts";

export type NodeConfig = Omit<NodeOptions, "dataDir" | "open"> & {
  dataDir: string;
  uiDir?: string;
  /** Liveness ping interval; tests shorten it. */
  pingIntervalMs?: number;
  /** How often relayed peers' better paths are tried again (60 s); tests shorten it. */
  upgradeIntervalMs?: number;
  /** The features to compose; every node feature by default (server/features/node-features.ts). */
  features?: readonly FeatureDefinition[];
  /** How the MCP endpoint's `ask_peer` asks a peer's agent; tests pass their own. */
  askPeer?: AskPeer;
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
  /** Every feature's `api`, by definition (`node.features.get(chatFeature)`). */
  features: FeatureApis;
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

    const features = config.features ?? nodeFeatures;
    const registry = new SettingsRegistry().declare(
      ...features.flatMap((f) => f.settings ?? []),
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
    // The lobby socket comes first: the fabric dials and accepts over its relay like any transport.
    let capabilities: () => readonly string[] = () => [];
    const lobby = createLobbyParts({
      identity,
      log,
      settings,
      nodeName: effectiveName,
      addresses,
      capabilities: () => capabilities(),
    });
    undo.push(() => lobby.client.stop());
    // WebRTC links run outside the lobby socket: they end with the node, not with it.
    undo.push(() => lobby.webrtc.close());
    const fabric = createFabric({
      db: database.db,
      identity,
      settings,
      log,
      nodeName: effectiveName,
      addresses,
      moreTransports: [lobby.webrtc, lobby.relay],
      pingIntervalMs: config.pingIntervalMs,
      upgradeIntervalMs: config.upgradeIntervalMs,
    });
    capabilities = () => fabric.hub.capabilities;
    const ctx: FeatureContext = {
      identity,
      db: database.db,
      settings,
      fabric,
      lobby: lobby.client,
      browsers,
      notices: new NoticeService({ store: new NoticeStore(database.db), browsers }),
      panes,
      log,
      dataDir: dir.paths.root,
      startedAt,
      port: () => boundPort,
      nodeName: effectiveName,
      addresses,
    };
    const composed = composeFeatures(features, ctx);

    const mcp = createMcpEndpoint({
      dataDir: dir.paths.root,
      nodeId: identity.nodeId,
      nodeName: effectiveName,
      baseUrl: () => loopbackUrl(config.host, boundPort),
      port: () => boundPort,
      hub: fabric.hub,
      chat: composed.apis.get(chatFeature),
      collab: composed.apis.get(collabFeature),
      panes,
      log,
      isCompiled,
      askPeer:
        config.askPeer ??
        (features.includes(agentFeature) ? askPeerThrough(composed.apis.get(agentFeature)) : cannotAskYet),
    });
    undo.push(() => void mcp.close());

    const app = createHttpApp(ctx, {
      uiDir: config.uiDir,
      routes: [...composed.routes, { mount: "mcp", app: mcp.info }],
      mcp: mcp.app,
    });
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
    // Started last and stopped first: goodbyes go out while the sockets still work, and every
    // feature has stopped (collab flushed its rooms) before the database closes.
    // A start that fails part-way stops what it started (the undo steps are synchronous, so a
    // feature's async stop is not awaited there; a clean stop below awaits it).
    undo.push(() => {
      fabric.stop();
      void composed.stop();
    });
    await composed.start();
    fabric.start();
    // Last: the record says a started node listens here (for `weft mcp`); gone again on stop.
    undo.push(
      writeNodeRecord(dir.paths.root, {
        pid: process.pid,
        port: boundPort,
        url: loopbackUrl(config.host, boundPort),
      }),
    );

    let stopped = false;
    return {
      identity,
      port: boundPort,
      url: `http://localhost:${boundPort}/`,
      dataDir: dir.paths.root,
      settings,
      browsers,
      fabric,
      collab: composed.apis.get(collabFeature),
      chat: composed.apis.get(chatFeature),
      notices: ctx.notices,
      features: composed.apis,
      warmedUp,
      async stop() {
        if (stopped) return;
        stopped = true;
        // MCP sessions first: no tool call runs on a feature that has stopped.
        await mcp.close();
        fabric.stop();
        await composed.stop();
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
