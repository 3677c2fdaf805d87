import { describe, expect, test } from "bun:test";
import { axisLabel, formatAgo, outageLabel } from "../../../plugins/monitor/monitor-format.ts";
import {
  formatBytes,
  formatCount,
  formatLastSeen,
  formatRate,
  formatRtt,
} from "../../../plugins/sdk/peer-format.ts";

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);

describe("monitor figures", () => {
  test("bytes in binary units, three figures at most", () => {
    expect([0, 812, 1024, 1536, 43_008, 333_000_000, 5 * 1024 ** 3].map(formatBytes)).toEqual([
      "0 B",
      "812 B",
      "1.0 KiB",
      "1.5 KiB",
      "42.0 KiB",
      "318 MiB",
      "5.0 GiB",
    ]);
    expect(formatBytes(-1)).toBe("—");
  });

  test("rates, RTT and counts", () => {
    expect(formatRate(2560)).toBe("2.5 KiB/s");
    expect(formatRate(null)).toBe("—");
    expect(formatRtt(0.4)).toBe("0.4 ms");
    expect(formatRtt(12)).toBe("12.0 ms");
    expect(formatRtt(1234)).toBe("1.23 s");
    expect(formatRtt(null)).toBe("—");
    expect(formatCount(1234567)).toBe("1,234,567");
  });

  test("axis labels drop a trailing .0", () => {
    expect(axisLabel(formatRtt, 5)).toBe("5 ms");
    expect(axisLabel(formatRtt, 2.5)).toBe("2.5 ms");
    expect(axisLabel(formatRate, 1024)).toBe("1 KiB/s");
    expect(axisLabel(formatRate, 0)).toBe("0 B/s");
  });

  test("last seen and axis times", () => {
    expect(formatLastSeen(null, NOW)).toBe("never");
    expect(formatLastSeen(NOW - 3000, NOW)).toBe("just now");
    expect(formatLastSeen(NOW - 42_000, NOW)).toBe("42 s ago");
    expect(formatLastSeen(NOW - 5 * 60_000, NOW)).toBe("5 min ago");
    expect(formatLastSeen((NOW - 3 * 3_600_000) / 1000, NOW)).toBe("3 h ago");
    expect([0, 15_000, 60_000, 240_000].map(formatAgo)).toEqual(["now", "−15 s", "−1 min", "−4 min"]);
  });

  test("an outage band says whose link, and from when to when or since when", () => {
    const start = new Date(2026, 0, 5, 10, 41, 5).getTime();
    const end = new Date(2026, 0, 5, 10, 41, 38).getTime();
    expect(outageLabel("bob", "offline", start, end, false)).toEqual({
      what: "bob offline",
      when: "10:41:05–10:41:38",
    });
    expect(outageLabel("bob", "offline", start, end, true).when).toBe("since 10:41:05");
    expect(outageLabel("carol", "connecting", start, end, false).what).toBe("carol reconnecting");
  });
});
