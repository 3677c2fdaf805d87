import { describe, expect, test } from "bun:test";
import { formatNoticeTime } from "../../client/notices/notice-time.ts";

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);

describe("when a notice happened, as the inbox shows it", () => {
  test("recent notices read as minutes or hours ago, older ones as a date", () => {
    expect(formatNoticeTime(NOW - 5_000, NOW)).toBe("just now");
    expect(formatNoticeTime(NOW + 5_000, NOW)).toBe("just now");
    expect(formatNoticeTime(NOW - 5 * 60_000, NOW)).toBe("5 min ago");
    expect(formatNoticeTime(NOW - 3 * 3600_000 - 59 * 60_000, NOW)).toBe("3 h ago");
    expect(formatNoticeTime(NOW - 3 * 24 * 3600_000, NOW)).toMatch(/28|Nov/);
  });
});
