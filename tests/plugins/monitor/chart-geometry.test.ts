import { describe, expect, test } from "bun:test";
import {
  downRuns,
  linear,
  linePath,
  niceCeil,
  rateAxisMax,
  rttAxisMax,
  samplePoints,
  timeTicks,
} from "../../../plugins/monitor/chart-geometry.ts";
import type { MetricsSample, PeerStatus } from "../../../protocol/network.ts";

function sample(ts: number, status: PeerStatus = "connected", rtt: number | null = 1): MetricsSample {
  return {
    ts,
    status,
    rtt_ms: rtt,
    bytes_in: 0,
    bytes_out: 0,
    msgs_in: 0,
    msgs_out: 0,
    in_bps: status === "connected" ? 10 : null,
    out_bps: status === "connected" ? 20 : null,
  };
}

const id = (n: number) => n;

describe("chart lines", () => {
  test("a line breaks at a missing value and at a gap in time; a lone point is a dot", () => {
    const points = [
      { t: 0, v: 1 },
      { t: 1, v: 2 },
      { t: 2, v: null },
      { t: 3, v: 4 },
      { t: 10, v: 5 },
      { t: 11, v: 6 },
    ];
    expect(linePath(points, id, id, 2)).toBe("M0 1h0L1 2M3 4h0M10 5h0L11 6");
    expect(linePath([], id, id)).toBe("");
  });

  test("coordinates are rounded to a tenth of a pixel", () => {
    const x = linear(0, 3, 0, 100);
    expect(linePath([{ t: 1, v: 1 }], x, x)).toBe("M33.3 33.3h0");
  });

  test("a link that was down gives no value, whatever the sample holds", () => {
    const points = samplePoints([sample(0), sample(5, "offline", 3)], (s) => s.rtt_ms);
    expect(points).toEqual([
      { t: 0, v: 1, down: false },
      { t: 5, v: null, down: true },
    ]);
  });
});

describe("axes", () => {
  test("nice numbers", () => {
    expect([0.3, 1, 1.2, 2.2, 4, 7, 12, 260].map(niceCeil)).toEqual([0.5, 1, 2, 2.5, 5, 10, 20, 500]);
    expect(niceCeil(0)).toBe(1);
  });

  test("the RTT axis leaves headroom and has a floor", () => {
    expect(rttAxisMax([0.2, null, 0.4])).toBe(1);
    expect(rttAxisMax([4.8])).toBe(10);
    expect(rttAxisMax([])).toBe(1);
  });

  test("the throughput axis is nice in the unit its labels read", () => {
    expect(rateAxisMax([100])).toBe(1024);
    expect(rateAxisMax([3000])).toBe(5 * 1024);
    expect(rateAxisMax([3 * 1024 * 1024])).toBe(5 * 1024 * 1024);
  });

  test("time ticks are measured back from now", () => {
    expect(timeTicks(0, 300_000)).toEqual([0, 60_000, 120_000, 180_000, 240_000, 300_000]);
    expect(timeTicks(1000, 61_000)).toEqual([1000, 16_000, 31_000, 46_000, 61_000]);
  });
});

describe("down bands", () => {
  test("run from the last sample that saw the link up to the first that sees it up again", () => {
    const samples = [
      sample(0),
      sample(5),
      sample(10, "offline"),
      sample(15, "connecting"),
      sample(20),
      sample(25),
    ];
    expect(downRuns(samples, 0, 25)).toEqual([{ start: 5, end: 20, status: "offline" }]);
  });

  test("a link still down runs to the right edge, clipped to the window", () => {
    const samples = [sample(0, "offline"), sample(5), sample(10, "connecting")];
    expect(downRuns(samples, 2, 30)).toEqual([
      { start: 2, end: 5, status: "offline" },
      { start: 5, end: 30, status: "connecting" },
    ]);
    expect(downRuns([sample(0), sample(5)], 0, 5)).toEqual([]);
  });
});
