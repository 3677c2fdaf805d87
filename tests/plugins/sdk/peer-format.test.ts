import { describe, expect, test } from "bun:test";
import {
  byteUnit,
  formatAge,
  formatBytes,
  formatCount,
  formatLastSeen,
  formatRate,
  formatRtt,
  formatSize,
  presenceLabel,
  statusLabel,
  statusTone,
} from "../../../plugins/sdk/peer-format.ts";

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe("ages", () => {
  test("to the second, the first ten seconds are just now", () => {
    expect(formatAge(0)).toBe("just now");
    expect(formatAge(9_999)).toBe("just now");
    expect(formatAge(10 * SEC)).toBe("10 s ago");
    expect(formatAge(59 * SEC)).toBe("59 s ago");
    expect(formatAge(MIN)).toBe("1 min ago");
    expect(formatAge(HOUR - 1)).toBe("59 min ago");
    expect(formatAge(HOUR)).toBe("1 h ago");
    expect(formatAge(DAY - 1)).toBe("23 h ago");
    expect(formatAge(3 * DAY)).toBe("3 d ago");
  });

  test("to the minute, the whole first minute is just now", () => {
    expect(formatAge(20 * SEC, "minutes")).toBe("just now");
    expect(formatAge(MIN - 1, "minutes")).toBe("just now");
    expect(formatAge(4 * MIN, "minutes")).toBe("4 min ago");
    expect(formatAge(6 * HOUR, "minutes")).toBe("6 h ago");
  });

  test("a time ahead of ours is just now, whatever the precision", () => {
    expect(formatAge(-90 * SEC)).toBe("just now");
    expect(formatAge(-90 * SEC, "minutes")).toBe("just now");
  });

  test("last seen says never for a peer never seen, and reads seconds as milliseconds", () => {
    expect(formatLastSeen(null, NOW)).toBe("never");
    expect(formatLastSeen(NOW - 42 * SEC, NOW)).toBe("42 s ago");
    expect(formatLastSeen((NOW - 2 * DAY) / 1000, NOW)).toBe("2 d ago");
  });
});

describe("round trips", () => {
  test("a tenth while small, whole milliseconds past 100, seconds past 1000", () => {
    expect(formatRtt(0.4)).toBe("0.4 ms");
    expect(formatRtt(99.9)).toBe("99.9 ms");
    expect(formatRtt(148.6)).toBe("149 ms");
    expect(formatRtt(999)).toBe("999 ms");
    expect(formatRtt(1234)).toBe("1.23 s");
  });

  test("no measurement is a dash", () => {
    expect(formatRtt(null)).toBe("—");
    expect(formatRtt(undefined)).toBe("—");
    expect(formatRtt(-1)).toBe("—");
    expect(formatRtt(Number.POSITIVE_INFINITY)).toBe("—");
  });
});

describe("byte counts", () => {
  test("binary units, one step per 1024", () => {
    expect(byteUnit(1023)).toEqual({ unit: "B", size: 1 });
    expect(byteUnit(1024)).toEqual({ unit: "KiB", size: 1024 });
    expect(byteUnit(1024 ** 5 * 3)).toEqual({ unit: "TiB", size: 1024 ** 4 });
  });

  test("sizes read in bytes or KiB", () => {
    expect(formatSize(900)).toBe("900 bytes");
    expect(formatSize(16_384)).toBe("16 KiB");
    expect(formatSize(17_613)).toBe("17.2 KiB");
  });

  test("figures keep their decimal so a column lines up; sizes in words drop a whole one", () => {
    expect(formatBytes(16_384)).toBe("16.0 KiB");
    expect(formatBytes(900)).toBe("900 B");
    expect(formatSize(2 * 1024 ** 2)).toBe("2 MiB");
    expect(formatSize(150.5 * 1024)).toBe("151 KiB");
    expect(formatSize(-1)).toBe("—");
  });

  test("rates and counts", () => {
    expect(formatRate(0)).toBe("0 B/s");
    expect(formatRate(undefined)).toBe("—");
    expect(formatCount(16_384)).toBe("16,384");
  });
});

describe("link status", () => {
  test("the link's words, and the person's", () => {
    expect(["connected", "connecting", "offline"].map((s) => statusLabel(s as "offline"))).toEqual([
      "Connected",
      "Connecting…",
      "Offline",
    ]);
    expect(presenceLabel("connected")).toBe("Online");
    expect(presenceLabel("connecting")).toBe("Connecting…");
    expect(presenceLabel("offline")).toBe("Offline");
  });

  test("a dot's tone: an offline peer is ordinary unless the view is about link health", () => {
    expect(statusTone("connected")).toBe("ok");
    expect(statusTone("connecting")).toBe("busy");
    expect(statusTone("offline")).toBe("idle");
    expect(statusTone("offline", "bad")).toBe("bad");
    expect(statusTone("connected", "bad")).toBe("ok");
  });
});
