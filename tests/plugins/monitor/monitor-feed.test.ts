import { describe, expect, test } from "bun:test";
import {
  appendTick,
  applyPeerRow,
  colorSlots,
  dropSeries,
  latestTs,
  linksFromRows,
  removeLink,
  sortLinks,
  wasUpSince,
} from "../../../plugins/monitor/monitor-feed.ts";
import type { MetricsSample, PeerMetrics, PeerRow, PeerStatus } from "../../../protocol/network.ts";

function sample(ts: number, status: PeerStatus = "connected", bytes = 0): MetricsSample {
  return {
    ts,
    status,
    rtt_ms: 1,
    bytes_in: bytes,
    bytes_out: bytes,
    msgs_in: 1,
    msgs_out: 1,
    in_bps: null,
    out_bps: null,
  };
}

function link(nodeId: string, over: Partial<PeerMetrics> = {}): PeerMetrics {
  return {
    node_id: nodeId,
    node_name: nodeId,
    transport: "direct",
    status: "connected",
    rtt_ms: 0.5,
    bytes_in: 100,
    bytes_out: 200,
    msgs_in: 1,
    msgs_out: 2,
    last_seen: 1,
    ...over,
  };
}

function row(nodeId: string, over: Partial<PeerRow> = {}): PeerRow {
  return {
    node_id: nodeId,
    node_name: nodeId,
    public_key: "key",
    status: "connected",
    transport: "direct",
    trusted: true,
    via: "invite",
    blocked: false,
    address: null,
    last_seen: 5,
    rtt_ms: 0.7,
    path_reason: null,
    path_policy: "any",
    agent_policy: null,
    capabilities: [],
    ...over,
  };
}

describe("the monitor's series", () => {
  test("a tick appends each peer's sample and drops what fell out of the window", () => {
    const series = { a: [sample(0), sample(5)], b: [sample(5)] };
    const next = appendTick(series, { a: sample(10), b: sample(10) }, 6, 10);
    expect(next.a?.map((s) => s.ts)).toEqual([5, 10]);
    expect(next.b?.map((s) => s.ts)).toEqual([5, 10]);
  });

  test("a peer missing from a tick was forgotten; a sample already held is not added twice", () => {
    const series = { a: [sample(0), sample(5)], gone: [sample(5)] };
    const next = appendTick(series, { a: sample(5), c: sample(5) }, 60, 5);
    expect(Object.keys(next).sort()).toEqual(["a", "c"]);
    expect(next.a?.map((s) => s.ts)).toEqual([0, 5]);
  });

  test("dropping and the latest time", () => {
    const series = { a: [sample(0), sample(7)], b: [sample(3)] };
    expect(latestTs(series)).toBe(7);
    expect(latestTs({})).toBeUndefined();
    expect(dropSeries(series, "a")).toEqual({ b: [sample(3)] });
    expect(dropSeries(series, "x")).toBe(series);
  });

  test("a peer gets a line only when its link was up in the window", () => {
    const samples = [sample(0), sample(5, "offline"), sample(10, "offline")];
    expect(wasUpSince(samples, 0)).toBe(true);
    expect(wasUpSince(samples, 1)).toBe(false);
  });
});

describe("the monitor's table", () => {
  test("a peer_update moves status and RTT at once; a link that went down loses its session counters", () => {
    const links = [link("a"), link("b")];
    const up = applyPeerRow(links, row("a", { rtt_ms: 2.5 }));
    expect(up[0]).toMatchObject({ rtt_ms: 2.5, bytes_in: 100, status: "connected" });
    const down = applyPeerRow(links, row("b", { status: "offline", transport: null, rtt_ms: null }));
    expect(down[1]).toMatchObject({ status: "offline", rtt_ms: null, bytes_in: 0, msgs_out: 0 });
    const added = applyPeerRow(links, row("c"));
    expect(added.at(-1)).toMatchObject({ node_id: "c", bytes_in: 0, status: "connected" });
    expect(removeLink(links, "a").map((l) => l.node_id)).toEqual(["b"]);
    expect(removeLink(links, "x")).toBe(links);
  });

  test("a link that went down keeps the peer's totals across links", () => {
    const totals = { bytes_in: 5000, bytes_out: 6000, msgs_in: 50, msgs_out: 60 };
    const links = [link("a", { totals })];
    const down = applyPeerRow(links, row("a", { status: "offline", transport: null, rtt_ms: null }));
    expect(down[0]).toMatchObject({ status: "offline", bytes_in: 0, totals });
    const back = applyPeerRow(down, row("a"));
    expect(back[0]).toMatchObject({ status: "connected", totals });
  });

  test("rows from REST take their counters from the latest sample of a live link", () => {
    const series = { a: [sample(0, "connected", 10), sample(5, "connected", 42)] };
    const links = linksFromRows([row("a"), row("b", { status: "offline" })], series);
    expect(links[0]).toMatchObject({ node_id: "a", bytes_in: 42, bytes_out: 42 });
    expect(links[1]).toMatchObject({ node_id: "b", bytes_in: 0, status: "offline" });
  });

  test("live links first, then by name", () => {
    const sorted = sortLinks([
      link("1", { node_name: "zed", status: "offline" }),
      link("2", { node_name: "Bob" }),
      link("3", { node_name: "alice" }),
      link("4", { node_name: "carol", status: "connecting" }),
    ]);
    expect(sorted.map((l) => l.node_name)).toEqual(["alice", "Bob", "carol", "zed"]);
  });

  test("colours follow node ids, not the table order, and wrap around the palette", () => {
    const slots = colorSlots(["c", "a", "b", "a", "d", "e", "f", "g"]);
    expect([...slots.entries()]).toEqual([
      ["a", 0],
      ["b", 1],
      ["c", 2],
      ["d", 3],
      ["e", 4],
      ["f", 5],
      ["g", 0],
    ]);
  });
});
