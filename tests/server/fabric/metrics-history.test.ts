import { describe, expect, test } from "bun:test";
import type { PeerMetrics } from "../../../protocol/network.ts";
import { MAX_SAMPLES_PER_PEER, MetricsHistory, SampleRing } from "../../../server/fabric/metrics-history.ts";

function row(nodeId: string, over: Partial<PeerMetrics> = {}): PeerMetrics {
  return {
    node_id: nodeId,
    node_name: nodeId,
    transport: "direct",
    status: "connected",
    rtt_ms: 0.4,
    bytes_in: 0,
    bytes_out: 0,
    msgs_in: 0,
    msgs_out: 0,
    last_seen: 0,
    ...over,
  };
}

describe("the metrics history", () => {
  test("a ring keeps only its newest samples, oldest first", () => {
    const ring = new SampleRing(3);
    for (let ts = 1; ts <= 7; ts++) ring.push({ ...sampleAt(ts) });
    expect(ring.size).toBe(3);
    expect(ring.toArray().map((s) => s.ts)).toEqual([5, 6, 7]);
    expect(ring.last()?.ts).toBe(7);
    expect(ring.toArray(6).map((s) => s.ts)).toEqual([6, 7]);
  });

  test("holds one window of samples per peer, whatever the tick rate", () => {
    const history = new MetricsHistory({ intervalMs: 100, windowMs: 1000 });
    expect(history.capacity).toBe(11);
    for (let i = 0; i < 50; i++) history.record([row("a"), row("b")], 10_000 + i * 100);
    expect(history.size("a")).toBe(11);
    const series = history.snapshot(10_000 + 49 * 100).series.a ?? [];
    expect(series.map((s) => s.ts)).toEqual(Array.from({ length: 11 }, (_, i) => 10_000 + (39 + i) * 100));
    // A very short interval cannot make the ring unbounded.
    expect(new MetricsHistory({ intervalMs: 1 }).capacity).toBe(MAX_SAMPLES_PER_PEER);
  });

  test("derives bytes per second since the previous sample, across a new session", () => {
    const history = new MetricsHistory({ intervalMs: 5000 });
    const first = history.record([row("a", { bytes_in: 1000, bytes_out: 500 })], 0).a;
    expect(first).toMatchObject({ in_bps: null, out_bps: null });
    const second = history.record([row("a", { bytes_in: 6000, bytes_out: 3000 })], 5000).a;
    expect(second).toMatchObject({ bytes_in: 6000, in_bps: 1000, out_bps: 500 });
    const down = history.record(
      [row("a", { status: "offline", rtt_ms: null, bytes_in: 0, bytes_out: 0 })],
      10_000,
    );
    expect(down.a).toMatchObject({ status: "offline", rtt_ms: null, in_bps: null, out_bps: null });
    // A new link counts from zero again: what it moved since the last tick is all of it.
    const back = history.record([row("a", { bytes_in: 2500, bytes_out: 1000 })], 15_000).a;
    expect(back).toMatchObject({ status: "connected", in_bps: 500, out_bps: 200 });
  });

  test("drops the series of a peer that is no longer known", () => {
    const history = new MetricsHistory({ intervalMs: 1000 });
    history.record([row("a"), row("b")], 0);
    history.record([row("a")], 1000);
    expect(Object.keys(history.snapshot(1000).series)).toEqual(["a"]);
    history.forget("a");
    expect(history.snapshot(1000).series).toEqual({});
  });

  test("leaves out samples older than the window", () => {
    const history = new MetricsHistory({ intervalMs: 1000, windowMs: 10_000 });
    history.record([row("a")], 0);
    // The timer stalled (a laptop asleep): the old sample is past the window though the ring has room.
    history.record([row("a")], 60_000);
    expect(history.snapshot(60_000).series.a?.map((s) => s.ts)).toEqual([60_000]);
  });
});

function sampleAt(ts: number) {
  return {
    ts,
    status: "connected" as const,
    rtt_ms: 1,
    bytes_in: 0,
    bytes_out: 0,
    msgs_in: 0,
    msgs_out: 0,
    in_bps: null,
    out_bps: null,
  };
}
