import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { z } from "zod";
import { openDatabase } from "../../../server/db/database.ts";
import { settings as settingsTable } from "../../../server/db/schema.ts";
import { networkSettings, nodeName, trustMode } from "../../../server/settings/network-settings.ts";
import {
  defineSetting,
  SettingsRegistry,
  SettingValidationError,
} from "../../../server/settings/registry.ts";
import { SettingsStore } from "../../../server/settings/settings-store.ts";
import { tempDir } from "../../helpers/temp-dir.ts";

function store(file = join(tempDir(), "weft.db"), overrides?: Map<string, { value: unknown; from: string }>) {
  const database = openDatabase(file);
  const registry = new SettingsRegistry().declare(...networkSettings);
  return { file, database, store: new SettingsStore(database.db, registry, overrides) };
}

describe("settings", () => {
  test("every key reads its default until someone changes it", () => {
    const { store: s } = store();
    expect(s.get(trustMode)).toBe("manual");
    expect(s.values()).toMatchObject({
      "network.nodeName": "",
      "network.advertisedAddress": "",
      "network.trustMode": "manual",
      "network.enableDirect": true,
      "network.maxFrameBytes": 1024 * 1024,
      "network.maxJsonDepth": 32,
      "network.rateLimitPerSec": 2000,
      "network.rateLimitBurst": 10000,
    });
  });

  test("a change is stored and survives reopening the database", () => {
    const a = store();
    a.store.update({ "network.trustMode": "open-lan", "network.nodeName": "  desk  " });
    a.database.close();
    const b = store(a.file);
    expect(b.store.get(trustMode)).toBe("open-lan");
    expect(b.store.get(nodeName)).toBe("desk");
  });

  test("one bad key refuses the whole patch and writes nothing", () => {
    const { store: s, database } = store();
    let error: unknown;
    try {
      s.update({ "network.trustMode": "open-lan", "network.maxJsonDepth": 1 });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SettingValidationError);
    expect((error as SettingValidationError).key).toBe("network.maxJsonDepth");
    expect(s.get(trustMode)).toBe("manual");
    expect(database.db.select().from(settingsTable).all()).toHaveLength(0);
  });

  test("an unknown key is refused by name", () => {
    const { store: s } = store();
    expect(() => s.update({ "network.nope": 1 })).toThrow("unknown setting network.nope");
  });

  test("a reset forgets the stored value, so the default applies again after a restart", () => {
    const a = store();
    a.store.update({ "network.trustMode": "open-lan" });
    expect(a.store.reset("network.trustMode")).toEqual({ "network.trustMode": "manual" });
    expect(a.database.db.select().from(settingsTable).all()).toHaveLength(0);
    a.database.close();
    expect(store(a.file).store.get(trustMode)).toBe("manual");
    expect(() => store().store.reset("network.nope")).toThrow(SettingValidationError);
  });

  test("listeners hear exactly what changed", () => {
    const { store: s } = store();
    const heard: unknown[] = [];
    s.onChange((c) => heard.push(c));
    s.update({ "network.enableDirect": false });
    expect(heard).toEqual([{ "network.enableDirect": false }]);
  });

  test("a run-time override wins over the stored value without replacing it", () => {
    const overrides = new Map([["network.nodeName", { value: "from-flag", from: "--name" }]]);
    const { store: s } = store(undefined, overrides);
    s.update({ "network.nodeName": "stored" });
    expect(s.get(nodeName)).toBe("from-flag");
    expect(s.values()["network.nodeName"]).toBe("stored");
    expect(s.override("network.nodeName")).toEqual({ value: "from-flag", from: "--name" });
  });

  test("a stored value that no longer passes its schema falls back to the default", () => {
    const a = store();
    a.database.db
      .insert(settingsTable)
      .values({ key: "network.trustMode", valueJson: '"weird"', updatedAt: 1 })
      .run();
    a.database.close();
    expect(store(a.file).store.get(trustMode)).toBe("manual");
  });

  test("a setting whose default breaks its own schema cannot be declared", () => {
    expect(() =>
      defineSetting({ key: "x.y", schema: z.number().min(5), default: 1, description: "d" }),
    ).toThrow("default of x.y");
    expect(() => new SettingsRegistry().declare(nodeName, nodeName)).toThrow("declared twice");
  });

  test("each setting describes itself as JSON Schema for the settings pane", () => {
    const registry = new SettingsRegistry().declare(...networkSettings);
    expect(registry.jsonSchema("network.trustMode")).toMatchObject({
      enum: ["manual", "directory", "open-lan"],
    });
    expect(registry.jsonSchema("network.maxJsonDepth")).toMatchObject({
      type: "integer",
      minimum: 4,
      maximum: 256,
    });
  });
});
