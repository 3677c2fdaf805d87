import { describe, expect, test } from "bun:test";
import { advanceStatus, type ShownStatus, statusView } from "../../../plugins/chat/chat-status.ts";

describe("delivery states", () => {
  test("each status has its icon: clock, one tick, two ticks, filled ticks, failure", () => {
    const icons = Object.fromEntries(
      (["sending", "queued", "sent", "delivered", "read", "failed"] as ShownStatus[]).map((s) => [
        s,
        statusView(s).icon,
      ]),
    );
    expect(icons).toEqual({
      sending: "clock",
      queued: "clock",
      sent: "tick",
      delivered: "double-tick",
      read: "read",
      failed: "failed",
    });
  });

  test("read stands out and failed is red", () => {
    expect(statusView("read")).toMatchObject({ tone: "accent", label: "Read" });
    expect(statusView("failed").tone).toBe("danger");
    expect(statusView("delivered").tone).toBe("muted");
  });

  test("statuses only move forward", () => {
    expect(advanceStatus("queued", "sent")).toBe("sent");
    expect(advanceStatus("sent", "read")).toBe("read");
    expect(advanceStatus("read", "delivered")).toBe("read");
    expect(advanceStatus("delivered", "sent")).toBe("delivered");
  });

  test("failed ends a message that never arrived, but not one that did", () => {
    expect(advanceStatus("sent", "failed")).toBe("failed");
    expect(advanceStatus("queued", "failed")).toBe("failed");
    expect(advanceStatus("delivered", "failed")).toBe("delivered");
    expect(advanceStatus("failed", "sent")).toBe("failed");
  });
});
