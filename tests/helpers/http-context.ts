import { join } from "node:path";
import { builtinManifests } from "../../plugins/builtin-manifests.ts";
import { openDatabase } from "../../server/db/database.ts";
import { createFabric } from "../../server/fabric/fabric.ts";
import { type ComposedFeatures, composeFeatures } from "../../server/features/compose.ts";
import type { FeatureContext } from "../../server/features/feature.ts";
import { nodeFeatures } from "../../server/features/node-features.ts";
import { loadOrCreateIdentity } from "../../server/identity/identity.ts";
import { createLobbyParts } from "../../server/lobby/lobby-parts.ts";
import { silentLogger } from "../../server/log.ts";
import { NoticeService } from "../../server/notices/notice-service.ts";
import { NoticeStore } from "../../server/notices/notice-store.ts";
import { PaneCatalog } from "../../server/panes/pane-catalog.ts";
import { httpSettings } from "../../server/settings/http-settings.ts";
import { SettingsRegistry } from "../../server/settings/registry.ts";
import { SettingsStore } from "../../server/settings/settings-store.ts";
import { BrowserHub } from "../../server/ws/browser-hub.ts";
import { tempDir } from "./temp-dir.ts";

export const TEST_PORT = 7420;

/**
 * A context of real parts (identity file, SQLite settings, every node feature composed the way a
 * node composes them) for `app.request()` tests; pass `routes` to `createHttpApp`.
 */
export async function realHttpContext(): Promise<FeatureContext & { routes: ComposedFeatures["routes"] }> {
  const dir = tempDir();
  const identity = await loadOrCreateIdentity(join(dir, "identity.key"));
  const database = openDatabase(join(dir, "weft.db"));
  const settings = new SettingsStore(
    database.db,
    new SettingsRegistry().declare(...nodeFeatures.flatMap((f) => f.settings ?? []), ...httpSettings),
  );
  const nodeName = () => "test-node";
  const addresses = () => [`ws://192.0.2.1:${TEST_PORT}/peer-ws`];
  const lobby = createLobbyParts({
    identity,
    log: silentLogger,
    settings,
    nodeName,
    addresses,
    capabilities: () => [],
  });
  const fabric = createFabric({
    db: database.db,
    identity,
    settings,
    log: silentLogger,
    nodeName,
    addresses,
    moreTransports: [lobby.relay],
  });
  const browsers = new BrowserHub(silentLogger);
  const ctx: FeatureContext = {
    identity,
    db: database.db,
    settings,
    fabric,
    lobby: lobby.client,
    browsers,
    notices: new NoticeService({ store: new NoticeStore(database.db), browsers }),
    panes: new PaneCatalog().addBuiltin(builtinManifests),
    log: silentLogger,
    dataDir: dir,
    startedAt: Date.now(),
    port: () => TEST_PORT,
    nodeName,
    addresses,
  };
  return { ...ctx, routes: composeFeatures(nodeFeatures, ctx).routes };
}

/** Env as the listener passes it for a request from this machine. */
export const fromLoopback = { remoteAddress: "127.0.0.1" };
export const fromLan = { remoteAddress: "192.168.1.20" };
export const localHeaders = { host: `localhost:${TEST_PORT}` };
export const sameOriginHeaders = {
  ...localHeaders,
  origin: `http://localhost:${TEST_PORT}`,
  "content-type": "application/json",
};
