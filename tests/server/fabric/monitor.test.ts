import { describe, expect, test } from "bun:test";
import { z } from "zod";
import type { MetricsHistory, PeerMetrics, PeerMetricsEvent } from "../../../protocol/network.ts";
import type { MonitorTick } from "../../../server/fabric/link-monitor.ts";
import type { RunningNode } from "../../../server/node.ts";
import { api, eventually, mintInvite, nodePool, pair, peerRow } from "../../helpers/peer-nodes.ts";
import { openTab, type TestTab } from "../../helpers/ws-client.ts";

const pool = nodePool();

async function paired(): Promise<[RunningNode, RunningNode]> {
  const alice = await pool.start({ name: "alice" });
  const bob = await pool.start({ name: "bob" });
  expect((await pair(bob, await mintInvite(alice))).body.ok).toBe(true);
  await eventually(() => peerRow(alice, bob.identity.nodeId)?.status === "connected", "alice to link");
  return [alice, bob];
}

const metricsOf = (node: RunningNode, peer: RunningNode): PeerMetrics | undefined =>
  node.fabric.hub.metrics().find((m) => m.node_id === peer.identity.nodeId);

const totalsOf = (node: RunningNode, peer: RunningNode) =>
  node.fabric.monitor.metrics().find((m) => m.node_id === peer.identity.nodeId)?.totals;

/** The `peer_metrics` frames a tab got from monitor ticks (an answer to `list_metrics` has no `ts`). */
const tickFrames = (tab: TestTab): PeerMetricsEvent[] =>
  tab.frames
    .filter((f) => f.channel === "network" && f.event === "peer_metrics")
    .map((f) => f.data as PeerMetricsEvent)
    .filter((d) => d.ts !== undefined);

/** Resolves after `n` more monitor ticks of `node`. */
function ticks(node: RunningNode, n: number): Promise<number[]> {
  const seen: number[] = [];
  return new Promise((resolve) => {
    const off = node.fabric.monitor.onTick((t) => {
      seen.push(t.ts);
      if (seen.length === n) {
        off();
        resolve(seen);
      }
    });
  });
}

describe("the link monitor", () => {
  test("measures the round trip of every link to a tenth of a millisecond", async () => {
    const [alice, bob] = await paired();
    await eventually(() => metricsOf(alice, bob)?.rtt_ms != null, "alice's RTT to bob");
    await eventually(() => metricsOf(bob, alice)?.rtt_ms != null, "bob's RTT to alice");
    for (const m of [metricsOf(alice, bob), metricsOf(bob, alice)]) {
      const rtt = m?.rtt_ms ?? -1;
      expect(rtt).toBeGreaterThanOrEqual(0);
      expect(Math.round(rtt * 10) / 10).toBe(rtt);
      expect(m).toMatchObject({ status: "connected", transport: "direct" });
      expect(m?.last_seen).toBeGreaterThan(Date.now() - 5000);
    }
  });

  test("a ping still unanswered at the next tick shows no RTT for that tick", async () => {
    const [alice, bob] = await paired();
    await eventually(() => metricsOf(alice, bob)?.rtt_ms != null, "a first RTT");
    const monitor = alice.fabric.monitor;
    monitor.stop();
    const seen: MonitorTick[] = [];
    const off = monitor.onTick((t) => seen.push(t));
    monitor.tick();
    // In the same turn: the pong to the ping just sent cannot have arrived yet.
    monitor.tick();
    off();
    const bobId = bob.identity.nodeId;
    expect(seen[1]?.metrics.find((m) => m.node_id === bobId)).toMatchObject({
      status: "connected",
      rtt_ms: null,
    });
    expect(seen[1]?.samples[bobId]).toMatchObject({ status: "connected", rtt_ms: null });
    await eventually(() => metricsOf(alice, bob)?.rtt_ms != null, "the late pong to bring the RTT back");
  });

  test("counts bytes, not characters, and both ends of a link agree", async () => {
    const [alice, bob] = await paired();
    const got: string[] = [];
    bob.fabric.hub.handle("test_blob", z.object({ text: z.string() }), (_peer, data) => {
      got.push(data.text);
    });
    // No pings in flight while counting, so the two ends can be compared exactly.
    alice.fabric.monitor.stop();
    bob.fabric.monitor.stop();
    await Bun.sleep(300);
    const before = { alice: metricsOf(alice, bob)!, bob: metricsOf(bob, alice)! };

    const text = "ünïcödé 🧵".repeat(100);
    expect(alice.fabric.hub.sendRaw(bob.identity.nodeId, "test_blob", { text })).toBe(true);
    await eventually(() => got.length === 1, "bob to get the blob");
    expect(got[0]).toBe(text);

    const after = { alice: metricsOf(alice, bob)!, bob: metricsOf(bob, alice)! };
    const grew = after.bob.bytes_in - before.bob.bytes_in;
    expect(grew).toBeGreaterThanOrEqual(Buffer.byteLength(text));
    expect(grew).toBeGreaterThan(text.length);
    expect(after.bob.msgs_in - before.bob.msgs_in).toBe(1);
    expect(after.alice.msgs_out - before.alice.msgs_out).toBe(1);
    expect(after.alice.bytes_out).toBe(after.bob.bytes_in);
    expect(after.bob.bytes_out).toBe(after.alice.bytes_in);
    expect(after.alice.msgs_out).toBe(after.bob.msgs_in);
    expect(after.bob.msgs_out).toBe(after.alice.msgs_in);

    // A raw frame of two-byte characters, refused unread: still 2 bytes per character on the wire.
    alice.fabric.hub.session(bob.identity.nodeId)!.link.send("ü".repeat(1000));
    await eventually(() => metricsOf(bob, alice)!.bytes_in > after.bob.bytes_in, "bob to count the frame");
    expect(metricsOf(bob, alice)!.bytes_in - after.bob.bytes_in).toBe(2000);
  });

  test("every tab gets peer_metrics on every tick and when it asks with list_metrics", async () => {
    const [alice, bob] = await paired();
    const [tab1, tab2] = [await openTab(alice.port), await openTab(alice.port)];
    const seen = await ticks(alice, 5);
    await eventually(
      () => [tab1, tab2].every((tab) => seen.every((ts) => tickFrames(tab).some((d) => d.ts === ts))),
      "both tabs to get all five ticks",
    );
    const last = tickFrames(tab1).find((d) => d.ts === seen.at(-1));
    expect(last?.metrics).toEqual([
      expect.objectContaining({ node_id: bob.identity.nodeId, status: "connected" }),
    ]);
    expect(last?.samples?.[bob.identity.nodeId]).toMatchObject({ ts: seen.at(-1), status: "connected" });

    tab1.send({ channel: "network", event: "list_metrics", data: {} });
    const answer = await tab1.next(
      (f) => f.event === "peer_metrics" && (f.data as PeerMetricsEvent).ts === undefined,
    );
    expect((answer.data as PeerMetricsEvent).metrics).toEqual([
      expect.objectContaining({ node_id: bob.identity.nodeId, node_name: "bob", status: "connected" }),
    ]);
    for (const t of [tab1, tab2]) t.close();
  });

  test("keeps a history of samples with throughput, over the socket and REST", async () => {
    const [alice, bob] = await paired();
    const bobId = bob.identity.nodeId;
    await ticks(alice, 4);
    const tab = await openTab(alice.port);
    tab.send({ channel: "network", event: "metrics_history", data: {} });
    const frame = await tab.next((f) => f.event === "metrics_history");
    const history = frame.data as MetricsHistory;
    expect(history).toMatchObject({ interval_ms: 200, window_ms: 600_000 });
    const series = history.series[bobId] ?? [];
    expect(series.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < series.length; i++) {
      const [prev, cur] = [series[i - 1]!, series[i]!];
      expect(cur.ts).toBeGreaterThan(prev.ts);
      expect(cur.bytes_in).toBeGreaterThanOrEqual(prev.bytes_in);
      expect(cur.bytes_out).toBeGreaterThanOrEqual(prev.bytes_out);
      if (cur.status !== "connected" || prev.status !== "connected") continue;
      // Pings and pongs flow every tick, so each interval moved some bytes both ways.
      const seconds = (cur.ts - prev.ts) / 1000;
      expect(cur.in_bps).toBeCloseTo((cur.bytes_in - prev.bytes_in) / seconds, 0);
      expect(cur.out_bps).toBeCloseTo((cur.bytes_out - prev.bytes_out) / seconds, 0);
    }
    expect(series.at(-1)?.in_bps).toBeGreaterThan(0);
    expect(series.at(-1)?.out_bps).toBeGreaterThan(0);

    const rest = await api<MetricsHistory>(alice, "GET", "/api/network/metrics/history");
    expect(rest.status).toBe(200);
    expect(rest.body.series[bobId]?.length).toBeGreaterThanOrEqual(series.length);
    expect(alice.fabric.monitor.history.capacity).toBe(600_000 / 200 + 1);

    // Forgetting a peer drops its history at once.
    await api(alice, "DELETE", `/api/network/peers/${bobId}?forget=1`);
    expect(alice.fabric.monitor.history.size(bobId)).toBe(0);
    expect(alice.fabric.monitor.history.snapshot().series[bobId]).toBeUndefined();
    tab.close();
  });

  test("a link that drops shows offline in the next metrics and in the history", async () => {
    const [alice, bob] = await paired();
    const bobId = bob.identity.nodeId;
    await eventually(() => metricsOf(alice, bob)?.rtt_ms != null, "a first RTT");
    const tab = await openTab(alice.port);
    await pool.stop(bob);
    const [ts] = await ticks(alice, 1);
    await eventually(() => tickFrames(tab).some((d) => d.ts === ts), "the tick to reach the tab");
    const frame = tickFrames(tab).find((d) => d.ts === ts);
    expect(frame?.metrics.find((m) => m.node_id === bobId)).toMatchObject({
      status: "offline",
      rtt_ms: null,
      transport: null,
    });
    expect(frame?.samples?.[bobId]).toMatchObject({ status: "offline", rtt_ms: null, in_bps: null });
    const series = alice.fabric.monitor.history.snapshot().series[bobId] ?? [];
    expect(series.some((s) => s.status === "connected")).toBe(true);
    expect(series.at(-1)?.status).toBe("offline");
    tab.close();
  });

  test("traffic totals carry on from where they were when a link drops and is redialed", async () => {
    const [alice, bob] = await paired();
    const bobId = bob.identity.nodeId;
    let got = 0;
    bob.fabric.hub.handle("test_blob", z.object({ text: z.string() }), () => {
      got += 1;
    });
    const text = "x".repeat(20_000);
    for (let i = 0; i < 3; i++) expect(alice.fabric.hub.sendRaw(bobId, "test_blob", { text })).toBe(true);
    await eventually(() => got === 3, "bob to get three blobs");
    const before = totalsOf(alice, bob)!;
    const bobBefore = totalsOf(bob, alice)!;
    expect(before.bytes_out).toBeGreaterThan(60_000);
    expect(bobBefore.bytes_in).toBe(metricsOf(bob, alice)!.bytes_in);

    const first = alice.fabric.hub.session(bobId);
    first?.link.close(1006, "network fault");
    await eventually(
      () => alice.fabric.hub.session(bobId) !== undefined && alice.fabric.hub.session(bobId) !== first,
      "the redial to bring up a new link",
      5000,
    );
    await eventually(() => peerRow(bob, alice.identity.nodeId)?.status === "connected", "bob to relink");
    // The new link counts from zero; the totals do not.
    expect(metricsOf(alice, bob)!.bytes_out).toBeLessThan(before.bytes_out);
    expect(totalsOf(alice, bob)!.bytes_out).toBeGreaterThanOrEqual(before.bytes_out);
    expect(totalsOf(alice, bob)!.msgs_out).toBeGreaterThanOrEqual(before.msgs_out);
    expect(totalsOf(bob, alice)!.bytes_in).toBeGreaterThanOrEqual(bobBefore.bytes_in);

    const mid = totalsOf(alice, bob)!;
    for (let i = 0; i < 2; i++) expect(alice.fabric.hub.sendRaw(bobId, "test_blob", { text })).toBe(true);
    await eventually(() => got === 5, "bob to get two more blobs");
    const after = totalsOf(alice, bob)!;
    expect(after.bytes_out - mid.bytes_out).toBeGreaterThan(40_000);
    expect(after.msgs_out - mid.msgs_out).toBeGreaterThanOrEqual(2);
    expect(totalsOf(bob, alice)!.bytes_in - bobBefore.bytes_in).toBeGreaterThan(40_000);

    // Tabs see the same totals, in the tick and in an answer to list_metrics.
    const tab = await openTab(alice.port);
    const [ts] = await ticks(alice, 1);
    await eventually(() => tickFrames(tab).some((d) => d.ts === ts), "the tick to reach the tab");
    const ticked = tickFrames(tab)
      .find((d) => d.ts === ts)
      ?.metrics.find((m) => m.node_id === bobId);
    expect(ticked?.totals?.bytes_out).toBeGreaterThanOrEqual(after.bytes_out);
    tab.send({ channel: "network", event: "list_metrics", data: {} });
    const answer = await tab.next(
      (f) => f.event === "peer_metrics" && (f.data as PeerMetricsEvent).ts === undefined,
    );
    const listed = (answer.data as PeerMetricsEvent).metrics.find((m) => m.node_id === bobId);
    expect(listed?.totals?.bytes_out).toBeGreaterThanOrEqual(after.bytes_out);
    tab.close();
  });

  test("a peer's traffic totals stay while its link is down", async () => {
    const [alice, bob] = await paired();
    await ticks(alice, 2);
    const before = totalsOf(alice, bob)!;
    expect(before.msgs_in).toBeGreaterThan(0);
    await pool.stop(bob);
    await eventually(() => peerRow(alice, bob.identity.nodeId)?.status !== "connected", "the drop");
    const m = alice.fabric.monitor.metrics().find((r) => r.node_id === bob.identity.nodeId);
    expect(m).toMatchObject({ status: expect.not.stringMatching(/^connected$/), bytes_in: 0 });
    expect(m?.totals?.msgs_in).toBeGreaterThanOrEqual(before.msgs_in);
    expect(m?.totals?.bytes_in).toBeGreaterThanOrEqual(before.bytes_in);
  });
});
