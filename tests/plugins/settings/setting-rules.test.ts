import { describe, expect, test } from "bun:test";
import {
  checkValue,
  controlKind,
  fieldMessage,
  groupByPrefix,
  labelFromKey,
  parseInput,
} from "../../../plugins/settings/setting-rules.ts";
import { networkSettings } from "../../../server/settings/network-settings.ts";
import { SettingsRegistry } from "../../../server/settings/registry.ts";

const registry = new SettingsRegistry().declare(...networkSettings);
const serverAccepts = (key: string, value: unknown) => {
  try {
    registry.parse(key, value);
    return true;
  } catch {
    return false;
  }
};

// Values on and around every edge the schemas draw; refinements JSON Schema cannot express
// (like the ws:// URL check) are left to the server, whose 400 the pane shows under the field.
const probes: Record<string, unknown[]> = {
  "network.nodeName": ["", "desk", "x".repeat(64), "x".repeat(65), 5],
  "network.trustMode": ["manual", "open-lan", "directory", "closed", ""],
  "network.enableDirect": [true, false, "true"],
  "network.maxFrameBytes": [4095, 4096, 1048576, 16 * 1024 * 1024, 16 * 1024 * 1024 + 1, 5000.5],
  "network.maxJsonDepth": [3, 4, 256, 257],
  "network.rateLimitPerSec": [0, 1, 1_000_000, 1_000_001],
  "network.rateLimitBurst": [0, 1, 10_000_000, 10_000_001],
  "network.maxPendingHandshakes": [0, 1, 64, 4_096, 4_097, 8.5],
  "network.maxPendingHandshakesPerAddress": [0, 1, 8, 1_024, 1_025],
};

describe("settings pane rules", () => {
  test("the pane's inline check agrees with the server on every edge of every setting", () => {
    for (const [key, values] of Object.entries(probes)) {
      const schema = registry.jsonSchema(key);
      for (const value of values) {
        expect({ key, value, inlineOk: checkValue(schema, value) === null }).toEqual({
          key,
          value,
          inlineOk: serverAccepts(key, value),
        });
      }
    }
  });

  test("each setting gets the control its schema calls for", () => {
    expect(controlKind(registry.jsonSchema("network.enableDirect"))).toBe("toggle");
    expect(controlKind(registry.jsonSchema("network.trustMode"))).toBe("select");
    expect(controlKind(registry.jsonSchema("network.maxJsonDepth"))).toBe("integer");
    expect(controlKind(registry.jsonSchema("network.nodeName"))).toBe("text");
  });

  test("typed text becomes a number only when it is one", () => {
    expect(parseInput("integer", " 42 ")).toEqual({ ok: true, value: 42 });
    expect(parseInput("integer", "4.5")).toEqual({ ok: false, error: "Enter a whole number" });
    expect(parseInput("integer", "")).toEqual({ ok: false, error: "Enter a number" });
    expect(parseInput("integer", "12abc")).toEqual({ ok: false, error: "Enter a number" });
    expect(parseInput("text", " spaced ")).toEqual({ ok: true, value: " spaced " });
  });

  test("labels, groups and server messages read as sentences", () => {
    expect(labelFromKey("network.maxJsonDepth")).toBe("Max JSON depth");
    const groups = groupByPrefix([{ key: "network.a" }, { key: "chat.b" }, { key: "network.c" }]);
    expect(groups.map((g) => g.items.length).sort()).toEqual([1, 2]);
    expect(fieldMessage("network.maxJsonDepth", "network.maxJsonDepth: too small")).toBe("Too small");
  });
});
