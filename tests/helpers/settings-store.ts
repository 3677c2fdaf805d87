import { join } from "node:path";
import { openDatabase } from "../../server/db/database.ts";
import { webRtcSettings } from "../../server/lobby/webrtc-settings.ts";
import { type SettingDefinition, SettingsRegistry } from "../../server/settings/registry.ts";
import { SettingsStore } from "../../server/settings/settings-store.ts";
import { tempDir } from "./temp-dir.ts";

/** A settings store on a fresh SQLite file declaring `settings` (by default WebRTC's). */
export function settingsStore(settings: readonly SettingDefinition[] = webRtcSettings): SettingsStore {
  const database = openDatabase(join(tempDir("weft-settings-"), "weft.db"));
  return new SettingsStore(database.db, new SettingsRegistry().declare(...settings));
}
