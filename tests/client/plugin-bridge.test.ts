import { describe, expect, test } from "bun:test";
import { collabRefusal, isOwnRoom, visibleFrame } from "../../client/workspace/plugin-bridge.ts";
import { type CollabClientEvent, collabClientEvent } from "../../protocol/collab.ts";
import { frameMessage } from "../../protocol/plugin-frame.ts";

/**
 * What the workspace lets through from a plugin's sandboxed frame: only its own rooms, sharing
 * only with the collab permission, and of the node's frames only its rooms' and the welcome. The
 * whole path, frame and all, is proven in tests/e2e/browser/plugin-sandbox.test.ts.
 */

const OWNER = "abcdefghijk23456";
const msg = (event: string, data: unknown): CollabClientEvent => collabClientEvent.parse({ event, data });

describe("a plugin's rooms", () => {
  test("are the rooms of its own pane id, its own and those shared with this node", () => {
    expect(isOwnRoom("counter", "counter:main")).toBe(true);
    expect(isOwnRoom("counter", `counter:main@${OWNER}`)).toBe(true);
    expect(isOwnRoom("counter", "scratch:main")).toBe(false);
    expect(isOwnRoom("counter", "counterfeit:main")).toBe(false);
    expect(isOwnRoom("counter", `scratch:counter@${OWNER}`)).toBe(false);
    expect(isOwnRoom("counter", "not a room")).toBe(false);
  });

  test("joining, editing and leaving its own room is let through; another pane's room is refused", () => {
    for (const event of ["join", "leave", "delete"]) {
      expect(collabRefusal("counter", msg(event, { paneKey: "counter:main" }), false)).toBeUndefined();
    }
    expect(collabRefusal("counter", msg("join", { paneKey: "scratch:main" }), true)).toBe(
      "room scratch:main is not this pane's",
    );
    expect(collabRefusal("counter", msg("update", { paneKey: "other:main", update: "AAA=" }), true)).toBe(
      "room other:main is not this pane's",
    );
  });

  test("sharing needs the collab permission", () => {
    const share = msg("share", { paneKey: "counter:main" });
    expect(collabRefusal("counter", share, false)).toBe(
      "sharing needs the collab permission, which its person has not granted",
    );
    expect(collabRefusal("counter", share, true)).toBeUndefined();
    expect(collabRefusal("counter", msg("unshare", { paneKey: "counter:main" }), false)).toMatch(
      /collab permission/,
    );
  });

  test("it may list its own pane's rooms only", () => {
    expect(collabRefusal("counter", msg("rooms", { paneId: "counter" }), false)).toBeUndefined();
    expect(collabRefusal("counter", msg("rooms", { paneId: "scratch" }), true)).toBe("not this pane's rooms");
  });
});

describe("what a plugin hears of the node", () => {
  test("its rooms' frames, and no other room's", () => {
    const state = { paneKey: "counter:main", rev: 1 };
    expect(visibleFrame("counter", "collab", "state", state)).toBe(state);
    expect(visibleFrame("counter", "collab", "update", { paneKey: "scratch:main" })).toBeUndefined();
    expect(visibleFrame("counter", "collab", "error", { message: "no room" })).toBeUndefined();
    expect(visibleFrame("counter", "collab", "rooms", { paneId: "scratch", rooms: [] })).toBeUndefined();
  });

  test("of the system channel, the welcome without anything but who the node is", () => {
    const welcome = {
      node_id: OWNER,
      node_name: "Ana",
      version: "0.1.0",
      protocol_version: 1,
      started_at: 5,
    };
    expect(visibleFrame("counter", "system", "welcome", welcome)).toEqual({
      node_id: OWNER,
      node_name: "Ana",
      version: "0.1.0",
    });
    expect(
      visibleFrame("counter", "system", "settings_changed", { values: { "agent.apiKey": "x" } }),
    ).toBeUndefined();
  });

  test("and nothing of any other channel", () => {
    expect(visibleFrame("counter", "chat", "message", { paneKey: "counter:main" })).toBeUndefined();
  });
});

describe("messages from a frame", () => {
  test("are parsed before anything looks at them: unknown kinds, oversized text and bad counts are refused", () => {
    expect(frameMessage.safeParse({ t: "badge", count: 3 }).success).toBe(true);
    expect(frameMessage.safeParse({ t: "eval", code: "1" }).success).toBe(false);
    expect(frameMessage.safeParse({ t: "badge", count: -1 }).success).toBe(false);
    expect(frameMessage.safeParse({ t: "failed", message: "x".repeat(5000) }).success).toBe(false);
    expect(frameMessage.safeParse({ t: "call", id: 1, method: "settings" }).success).toBe(false);
    expect(frameMessage.safeParse("not an object").success).toBe(false);
  });
});
