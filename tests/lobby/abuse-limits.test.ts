import { describe, expect, test } from "bun:test";
import { writeRelayBinary } from "../../protocol/lobby.ts";
import { newIdentity } from "../helpers/lobby-peer.ts";
import { RawLobbySocket } from "../helpers/raw-lobby-socket.ts";
import { lobbyHarness } from "./lobby-harness.ts";

const h = lobbyHarness();
const LINK = "00000001";
const KiB = new Uint8Array(1024);

async function settle(ms = 150) {
  await Bun.sleep(ms);
}

describe("the lobby's abuse limits", () => {
  test("relayed frames past the byte budget are dropped and counted", async () => {
    const lobby = await h.lobby({ relayBytesPerSec: 1, relayBytesBurst: 4 * 1050 });
    const a = await h.node(lobby);
    const b = await h.node(lobby);
    for (let i = 0; i < 10; i++) a.sendRaw(writeRelayBinary(b.id, LINK, KiB));
    await settle();
    expect(b.binaries.length).toBe(4);
    expect(lobby.counters().relayDropped).toBe(6);
  });

  test("relayed frames past the frame budget are dropped, JSON ones included", async () => {
    const lobby = await h.lobby({ relayFramesPerSec: 1, relayFramesBurst: 3 });
    const a = await h.node(lobby);
    const b = await h.node(lobby);
    for (let i = 0; i < 4; i++) a.sendRaw(writeRelayBinary(b.id, LINK, KiB));
    for (let i = 0; i < 4; i++) a.send({ type: "relay", to: b.id, link: LINK, frame: "x" });
    await settle();
    expect(b.binaries.length + b.pending("relay").length).toBe(3);
    expect(lobby.counters().relayDropped).toBe(5);
  });

  test("a node that keeps sending past its relay budget is disconnected with limit", async () => {
    const lobby = await h.lobby({ relayFramesPerSec: 1, relayFramesBurst: 1, relayDropsToClose: 20 });
    const a = await h.node(lobby);
    const b = await h.node(lobby);
    for (let i = 0; i < 40; i++) a.sendRaw(writeRelayBinary(b.id, LINK, KiB));
    expect((await a.next("error")).code).toBe("limit");
    await a.waitClose();
    expect(lobby.health().nodes).toBe(1);
  });

  test("an oversized frame is refused: a text one as bad_frame, a relayed one dropped, a huge one closes", async () => {
    const lobby = await h.lobby({ textFrameBytes: 4096, relayFrameBytes: 2048 });
    const a = await h.node(lobby);
    const b = await h.node(lobby);
    a.send({ type: "signal", to: b.id, data: "x".repeat(5000) });
    expect((await a.next("error")).code).toBe("bad_frame");
    expect(await b.gets("signal", 100)).toBe(false);
    a.sendRaw(writeRelayBinary(b.id, LINK, new Uint8Array(3000)));
    await settle();
    expect(b.binaries.length).toBe(0);
    expect(lobby.counters().relayDropped).toBe(1);
    a.sendRaw("x".repeat(200 * 1024));
    expect((await a.waitClose()).code).toBe(1009);
  });

  test("a signal larger than a signaling payload needs is refused, so it cannot bypass the relay budgets", async () => {
    const lobby = await h.lobby({ signalFrameBytes: 8 * 1024 });
    const a = await h.node(lobby);
    const b = await h.node(lobby);
    a.send({ type: "signal", to: b.id, data: { sdp: "v=0".padEnd(9 * 1024, "a") } });
    expect(await a.next("error")).toMatchObject({ code: "bad_frame", re: "signal" });
    a.send({ type: "signal", to: b.id, data: { sdp: "v=0".padEnd(7 * 1024, "a") } });
    expect((await b.next("signal")).from).toBe(a.id);
  });

  test("one address may hold only so many sockets; more are refused before the upgrade", async () => {
    const lobby = await h.lobby({ socketsPerIp: 2 });
    await h.connect(lobby);
    await h.connect(lobby);
    const third = await RawLobbySocket.open(lobby.port);
    expect(third.status).toBe(503);
    third.destroy();
    const elsewhere = await RawLobbySocket.open(lobby.port, "127.0.0.2");
    expect(elsewhere.status).toBe(101);
    elsewhere.destroy();
  });

  test("a full lobby refuses one more node with limit", async () => {
    const lobby = await h.lobby({ maxNodes: 2 });
    await h.node(lobby);
    await h.node(lobby);
    const late = await h.connect(lobby);
    late.send(late.registerFrame());
    expect((await late.next("error")).code).toBe("limit");
    expect((await late.waitClose()).code).toBe(1013);
    expect(lobby.health().nodes).toBe(2);
  });

  test("each message type has a rate; past it the message is refused with limit", async () => {
    const lobby = await h.lobby({ controlPerSec: 1, controlBurst: 3 });
    const a = await h.node(lobby);
    for (let i = 0; i < 5; i++) a.send({ type: "list_rooms" });
    // Another type has a bucket of its own.
    a.send({ type: "ping" });
    await a.next("pong");
    await settle(50);
    expect(a.pending("rooms").length).toBe(3);
    expect(a.pending("error").map((e) => [e.code, e.re])).toEqual([
      ["limit", "list_rooms"],
      ["limit", "list_rooms"],
    ]);
  });

  test("a socket that keeps sending bad frames is closed; one bad frame is only answered", async () => {
    const lobby = await h.lobby({ badFramesToClose: 5 });
    const a = await h.node(lobby);
    a.sendRaw("{not json");
    a.send({ type: "nonsense" });
    a.send({ type: "signal", to: "short", data: 1 });
    a.sendRaw(`${"[".repeat(100)}${"]".repeat(100)}`);
    await settle();
    expect(a.pending("error").map((e) => e.code)).toEqual([
      "bad_frame",
      "bad_frame",
      "bad_frame",
      "bad_frame",
    ]);
    expect(a.closeInfo).toBeUndefined();
    for (let i = 0; i < 5; i++) a.sendRaw("garbage");
    expect((await a.waitClose()).code).toBe(1008);
  });

  test("a receiver that stops reading is closed at the send-buffer cap and the lobby's memory stays bounded", async () => {
    const MiB = 1024 * 1024;
    const lobby = await h.lobby({ sendBufferBytes: 2 * MiB, signalPerSec: 100_000, signalBurst: 100_000 });
    const sender = await h.node(lobby);
    const stalled = await RawLobbySocket.open(lobby.port);
    const stalledId = await newIdentity();
    await stalled.register(stalledId);
    stalled.stopReading();
    const rssBefore = process.memoryUsage().rss;
    // Signals are not relayed frames: nothing gives way for them but the socket itself.
    const signal = { type: "signal", to: stalledId.nodeId, data: "s".repeat(60 * 1024) };
    for (let i = 0; i < 800 && lobby.health().nodes === 2; i++) {
      sender.send(signal);
      if (i % 8 === 7) await Bun.sleep(5);
    }
    for (let i = 0; i < 100 && lobby.health().nodes === 2; i++) await Bun.sleep(20);
    expect(lobby.health().nodes).toBe(1);
    expect(lobby.counters().sendBufferCloses).toBeGreaterThan(0);
    sender.send(signal);
    expect((await sender.next("undeliverable")).to).toBe(stalledId.nodeId);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * MiB);
    stalled.destroy();
  });

  test("a registered socket is pinged, and closed once it stays silent too long", async () => {
    const lobby = await h.lobby({ heartbeatMs: 100, silenceMs: 500 });
    const quiet = await h.node(lobby);
    quiet.answerPings = false;
    // This one answers every ping, as a node does: that alone keeps it.
    const lively = await h.node(lobby);
    await quiet.next("ping", 1_000);
    const started = performance.now();
    await quiet.waitClose(3_000);
    expect(performance.now() - started).toBeLessThan(1_500);
    await Bun.sleep(400);
    expect(lively.closeInfo).toBeUndefined();
    expect(lively.pending("ping").length).toBeGreaterThan(3);
  });
});
