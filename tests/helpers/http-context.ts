import { join } from "node:path";
import { builtinManifests } from "../../plugins/builtin-manifests.ts";
import { ChatService } from "../../server/chat/chat-service.ts";
import { chatSettings } from "../../server/chat/chat-settings.ts";
import { MessageStore } from "../../server/chat/message-store.ts";
import { openDatabase } from "../../server/db/database.ts";
import { createFabric } from "../../server/fabric/fabric.ts";
import type { HttpContext } from "../../server/http/context.ts";
import { loadOrCreateIdentity } from "../../server/identity/identity.ts";
import { silentLogger } from "../../server/log.ts";
import { NoticeService } from "../../server/notices/notice-service.ts";
import { NoticeStore } from "../../server/notices/notice-store.ts";
import { PaneCatalog } from "../../server/panes/pane-catalog.ts";
import { networkSettings } from "../../server/settings/network-settings.ts";
import { SettingsRegistry } from "../../server/settings/registry.ts";
import { SettingsStore } from "../../server/settings/settings-store.ts";
import { BrowserHub } from "../../server/ws/browser-hub.ts";
import { tempDir } from "./temp-dir.ts";

export const TEST_PORT = 7420;

/** A context of real parts (identity file, SQLite settings) for `app.request()` tests. */
export async function realHttpContext(): Promise<HttpContext> {
  const dir = tempDir();
  const identity = await loadOrCreateIdentity(join(dir, "identity.key"));
  const database = openDatabase(join(dir, "weft.db"));
  const settings = new SettingsStore(
    database.db,
    new SettingsRegistry().declare(...networkSettings, ...chatSettings),
  );
  const nodeName = () => "test-node";
  const addresses = () => [`ws://192.0.2.1:${TEST_PORT}/peer-ws`];
  const fabric = createFabric({
    db: database.db,
    identity,
    settings,
    log: silentLogger,
    nodeName,
    addresses,
  });
  const browsers = new BrowserHub(silentLogger);
  const chat = new ChatService({
    hub: fabric.hub,
    browsers,
    store: new MessageStore(database.db, identity.nodeId),
    log: silentLogger,
    maxMessageBytes: () => 16 * 1024,
  });
  return {
    identity,
    settings,
    fabric,
    chat,
    notices: new NoticeService({ store: new NoticeStore(database.db), browsers }),
    panes: new PaneCatalog().addBuiltin(builtinManifests),
    log: silentLogger,
    dataDir: dir,
    startedAt: Date.now(),
    port: () => TEST_PORT,
    nodeName,
    addresses,
  };
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
