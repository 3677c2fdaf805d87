import { describe, expect, test } from "bun:test";
import { copyFor, GROUPS, groupSettings, SETTING_COPY } from "../../../plugins/settings/setting-groups.ts";
import { themeChoice } from "../../../protocol/appearance.ts";
import { chatSettings } from "../../../server/chat/chat-settings.ts";
import { appearanceSettings } from "../../../server/settings/appearance-settings.ts";
import { networkSettings } from "../../../server/settings/network-settings.ts";
import { SettingsRegistry } from "../../../server/settings/registry.ts";

// What /api/settings/schema lists: every declared setting, sorted by key.
const declared = new SettingsRegistry()
  .declare(...networkSettings, ...chatSettings, ...appearanceSettings)
  .all()
  .map((d) => ({ key: d.key, description: d.description }));

const sections = (settings: Array<{ key: string; description: string }>) =>
  groupSettings(settings).map((g) => ({ id: g.id, keys: g.items.map((i) => i.setting.key) }));

describe("the settings pane's sections", () => {
  test("every declared setting lands in a named section, in a fixed order, with the limits folded away", () => {
    expect(sections(declared)).toEqual([
      { id: "profile", keys: ["network.nodeName"] },
      { id: "appearance", keys: ["appearance.theme"] },
      { id: "network", keys: ["network.trustMode", "network.enableDirect", "network.advertisedAddress"] },
      { id: "chat", keys: ["chat.maxMessageBytes"] },
      {
        id: "advanced",
        keys: [
          "network.maxFrameBytes",
          "network.maxJsonDepth",
          "network.rateLimitPerSec",
          "network.rateLimitBurst",
          "network.maxPendingHandshakes",
          "network.maxPendingHandshakesPerAddress",
        ],
      },
    ]);
    expect(GROUPS.filter((g) => g.folded).map((g) => g.id)).toEqual(["advanced"]);
  });

  test("a setting the pane has no words for still shows, under Other, named from its key", () => {
    const withNew = [...declared, { key: "lobby.relayQuotaMb", description: "Relay quota per peer." }];
    const other = groupSettings(withNew).find((g) => g.id === "other");
    expect(other?.title).toBe("Other");
    expect(other?.items.map((i) => i.copy)).toEqual([
      { group: "other", label: "Relay quota mb", help: "Relay quota per peer." },
    ]);
    // Other sits before the folded Advanced section, where a new setting would go unseen.
    expect(sections(withNew).map((s) => s.id)).toEqual([
      "profile",
      "appearance",
      "network",
      "chat",
      "other",
      "advanced",
    ]);
  });

  test("labels are words for people, not keys, and every choice of a select is named", () => {
    for (const { key } of declared) {
      const copy = copyFor(key, "");
      expect({ key, label: copy.label }).not.toEqual({ key, label: key });
      expect(copy.label).not.toMatch(/[.]|[a-z][A-Z]/);
      expect(copy.help.length).toBeGreaterThan(10);
    }
    expect(copyFor("network.nodeName", "").label).toBe("Your name");
    expect(SETTING_COPY["network.trustMode"]?.options).toEqual({
      manual: "Only people I send an invite to",
      directory: "Members of my lobby rooms",
      "open-lan": "Anyone on my local network",
    });
    expect(Object.keys(SETTING_COPY["appearance.theme"]?.options ?? {})).toEqual(themeChoice.options);
  });

  test("a section with no setting is left out", () => {
    expect(sections([{ key: "chat.maxMessageBytes", description: "" }])).toEqual([
      { id: "chat", keys: ["chat.maxMessageBytes"] },
    ]);
  });
});
