import { describe, expect, test } from "bun:test";
import { SeenGuard } from "../../../server/wire/seen-guard.ts";

describe("the seen-guard", () => {
  test("refuses a repeat within the window and takes it again once the window has passed", () => {
    const seen = new SeenGuard({ windowMs: 1000 });
    expect(seen.firstTime("a", 0)).toBe(true);
    expect(seen.firstTime("a", 999)).toBe(false);
    expect(seen.firstTime("a", 1000)).toBe(true);
  });

  test("forgets ids older than the window, so a steady trickle keeps it small", () => {
    const seen = new SeenGuard({ windowMs: 1000, maxEntries: 100_000 });
    for (let i = 0; i < 10_000; i++) seen.firstTime(`id-${i}`, i);
    expect(seen.size).toBeLessThanOrEqual(1001);
    // The recent ones are still refused.
    expect(seen.firstTime("id-9999", 10_000)).toBe(false);
  });

  test("holds no more than its bound, dropping the oldest first", () => {
    const seen = new SeenGuard({ windowMs: 60_000, maxEntries: 10 });
    for (let i = 0; i < 50; i++) seen.firstTime(`id-${i}`, 0);
    expect(seen.size).toBe(10);
    expect(seen.firstTime("id-49", 1)).toBe(false);
    expect(seen.firstTime("id-0", 1)).toBe(true);
  });
});
