import { describe, expect, test } from "bun:test";
import {
  dayKey,
  daysAgo,
  formatDay,
  formatMessageTime,
  formatShortTime,
} from "../../../plugins/chat/chat-time.ts";

// Local times, so the tests hold in any time zone.
const now = new Date(2025, 2, 12, 15, 30).getTime();
const at = (month: number, day: number, hour = 12, minute = 0, year = 2025) =>
  new Date(year, month, day, hour, minute).getTime();

describe("message times", () => {
  test("today reads as relative time", () => {
    expect(formatMessageTime(now - 20_000, now)).toBe("just now");
    expect(formatMessageTime(now - 4 * 60_000, now)).toBe("4 min ago");
    expect(formatMessageTime(now - 59 * 60_000, now)).toBe("59 min ago");
    expect(formatMessageTime(at(2, 12, 9, 10), now)).toBe("6 h ago");
  });

  test("a time slightly ahead of ours (a fast peer clock) reads as just now", () => {
    expect(formatMessageTime(now + 90_000, now)).toBe("just now");
  });

  test("earlier days read as a date with the time, and the year only when it differs", () => {
    expect(formatMessageTime(at(2, 11, 23, 50), now, "en-GB")).toBe("11 Mar, 23:50");
    expect(formatMessageTime(at(11, 31, 8, 5, 2024), now, "en-GB")).toBe("31 Dec 2024, 08:05");
  });

  test("the list's short time is the clock today, a weekday this week, a date before", () => {
    expect(formatShortTime(at(2, 12, 9, 5), now, "en-GB")).toBe("09:05");
    expect(formatShortTime(at(2, 10), now, "en-GB")).toBe("Mon");
    expect(formatShortTime(at(1, 2), now, "en-GB")).toBe("2 Feb");
    expect(formatShortTime(at(1, 2, 12, 0, 2023), now, "en-GB")).toBe("2 Feb 2023");
  });
});

describe("day separators", () => {
  test("today, yesterday, weekdays within a week, then dates", () => {
    expect(formatDay(at(2, 12, 0, 1), now)).toBe("Today");
    expect(formatDay(at(2, 11, 23, 59), now)).toBe("Yesterday");
    expect(formatDay(at(2, 7), now, "en-GB")).toBe("Friday");
    expect(formatDay(at(2, 5), now, "en-GB")).toBe("5 March");
    expect(formatDay(at(2, 5, 12, 0, 2024), now, "en-GB")).toBe("5 March 2024");
  });

  test("day keys follow the local calendar, not 24-hour spans", () => {
    expect(dayKey(at(2, 12, 0, 0))).toBe("2025-03-12");
    expect(dayKey(at(2, 11, 23, 59))).toBe("2025-03-11");
    expect(daysAgo(at(2, 11, 23, 59), at(2, 12, 0, 1))).toBe(1);
    expect(daysAgo(at(2, 12, 0, 1), at(2, 12, 23, 59))).toBe(0);
  });
});
