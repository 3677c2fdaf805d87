import { describe, expect, test } from "bun:test";
import { badgeCount } from "../../../plugins/sdk/badge-count.ts";

describe("badge counts", () => {
  test("large counts stay badge-sized", () => {
    expect(badgeCount(7)).toBe("7");
    expect(badgeCount(99)).toBe("99");
    expect(badgeCount(100)).toBe("99+");
    expect(badgeCount(120)).toBe("99+");
  });
});
