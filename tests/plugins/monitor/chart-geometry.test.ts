import { describe, expect, test } from "bun:test";
import {
  axisTicks,
  clippedPoints,
  downRuns,
  latestValues,
  linear,
  linePath,
  niceCeil,
  rateAxisMax,
  robustMax,
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

  test("each line keeps its last measured value in view, even after its link went down", () => {
    const line = (v: Array<number | null>) => ({
      key: "k",
      peer: "p",
      name: "n",
      color: 0,
      points: v.map((x, t) => ({ t, v: x })),
    });
    expect(latestValues([line([1, 3, null, null]), line([]), line([2])])).toEqual([3, null, 2]);
  });

  test("one spike does not set the scale: a 400 ms ping among 2 ms ones is drawn clipped", () => {
    const rtts = [2.1, 1.9, 2.0, 2.2, 400, 2.0, 1.8, 2.1, 2.3, 2.0, 1.9, 2.1];
    expect(robustMax(rtts)).toBe(2.3);
    const top = rttAxisMax(rtts);
    expect(top).toBe(5);
    const points = rtts.map((v, i) => ({ t: i, v }));
    expect(clippedPoints(points, top)).toEqual([{ t: 4, v: 400 }]);
    // Over a longer window the same spike is still left out.
    const long = Array.from({ length: 120 }, (_, i) => (i === 70 ? 400 : 2 + (i % 3) / 10));
    expect(rttAxisMax(long)).toBe(2.5);
    expect(
      clippedPoints(
        long.map((v, t) => ({ t, v })),
        2.5,
      ),
    ).toEqual([{ t: 70, v: 400 }]);
  });

  test("values that spread without a lone spike all fit, and the latest always does", () => {
    expect(rttAxisMax([2, 3, 4, 6, 7])).toBe(10);
    expect(
      clippedPoints(
        [2, 3, 4, 6, 7].map((v, t) => ({ t, v })),
        10,
      ),
    ).toEqual([]);
    const rtts = [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 90];
    expect(rttAxisMax(rtts)).toBe(2.5);
    expect(rttAxisMax(rtts, 1, [90])).toBe(100);
    expect(robustMax([null, 0, Number.NaN])).toBe(0);
    // Too few samples to call one a spike: the first ticks after a link comes up all fit.
    expect(robustMax([2, 5])).toBe(5);
    expect(robustMax([2, 2, 2, 40])).toBe(40);
  });

  test("the throughput axis leaves a burst out too, in the unit its labels read", () => {
    const rates = [300, 280, 310, 290, 2_000_000, 305, 295, 300, 310, 290, 300, 285];
    expect(rateAxisMax(rates)).toBe(1024);
    expect(rateAxisMax(rates.map((r) => r * 10))).toBe(5 * 1024);
  });

  test("gridlines halve the axis, but a top of 2.5 gets whole steps rather than 1.25", () => {
    expect(axisTicks(10)).toEqual([0, 5, 10]);
    expect(axisTicks(2.5)).toEqual([0, 1, 2, 2.5]);
    expect(axisTicks(250)).toEqual([0, 100, 200, 250]);
    expect(axisTicks(2.5 * 1024, 1024)).toEqual([0, 1024, 2048, 2.5 * 1024]);
    expect(axisTicks(2.5 * 1024)).toEqual([0, 1280, 2560]);
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
