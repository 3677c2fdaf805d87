import { describe, expect, test } from "bun:test";
import { type LobbyServerOf, readRelayBinary, writeRelayBinary } from "../../protocol/lobby.ts";
import { newIdentity } from "../helpers/lobby-peer.ts";
import { RawLobbySocket } from "../helpers/raw-lobby-socket.ts";
import { lobbyHarness } from "./lobby-harness.ts";

const h = lobbyHarness();
const MiB = 1024 * 1024;
const LINK = "0000000a";
const NEXT_LINK = "0000000b";
const NOT_KEEPING_UP = "1013 the peer is not keeping up";

/** A lobby whose send buffers are small and whose relay budgets let a sender go flat out. */
function fastRelayLobby() {
  return h.lobby({
    sendBufferBytes: 2 * MiB,
    relayBytesPerSec: 1024 * MiB,
    relayBytesBurst: 1024 * MiB,
    relayFramesPerSec: 100_000,
    relayFramesBurst: 100_000,
  });
}

/** A registered raw socket that has stopped reading, and its id. */
async function stalledReceiver(port: number) {
  const socket = await RawLobbySocket.open(port);
  const identity = await newIdentity();
  await socket.register(identity);
  socket.stopReading();
  return { socket, id: identity.nodeId };
}

/** The `relay_end`s a raw socket was sent. */
function relayEnds(socket: RawLobbySocket): Array<LobbyServerOf<"relay_end">> {
  return socket.texts
    .map((t) => JSON.parse(t) as { type: string })
    .filter((m): m is LobbyServerOf<"relay_end"> => m.type === "relay_end");
}

describe("a relayed link whose receiver does not keep up", () => {
  test("is ended at both ends, and the receiver keeps its registration and its socket", async () => {
    const lobby = await fastRelayLobby();
    const sender = await h.node(lobby);
    const stalled = await stalledReceiver(lobby.port);
    const rssBefore = process.memoryUsage().rss;
    const frame = writeRelayBinary(stalled.id, LINK, new Uint8Array(256 * 1024));
    // Far more than the kernel's buffers and the lobby's cap together, until the lobby says stop.
    let sent = 0;
    for (; sent < 400 && sender.pending("relay_end").length === 0; sent++) {
      sender.sendRaw(frame);
      if (sent % 8 === 7) await Bun.sleep(5);
    }
    expect(await sender.next("relay_end")).toEqual({
      type: "relay_end",
      from: stalled.id,
      link: LINK,
      reason: NOT_KEEPING_UP,
    });
    expect(lobby.health().nodes).toBe(2);
    expect(lobby.counters()).toMatchObject({ sendBufferCloses: 0 });
    expect(lobby.counters().relayCut).toBeGreaterThan(0);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * MiB);

    // What the sender still had in flight on that link is dropped, and it is not told again.
    const cutBefore = lobby.counters().relayCut;
    for (let i = 0; i < 4; i++) sender.sendRaw(frame);
    await Bun.sleep(100);
    expect(lobby.counters().relayCut).toBe(cutBefore + 4);
    expect(await sender.gets("relay_end", 200)).toBe(false);

    // Reading again, the receiver finds the link's end behind what was forwarded, its socket open.
    stalled.socket.resumeReading();
    await stalled.socket.until(
      () => relayEnds(stalled.socket).length > 0,
      "relay_end at the receiver",
      5_000,
    );
    expect(relayEnds(stalled.socket)).toEqual([
      { type: "relay_end", from: sender.id, link: LINK, reason: NOT_KEEPING_UP },
    ]);
    expect(stalled.socket.binaries.length).toBeLessThan(sent);
    expect(stalled.socket.closed).toBe(false);

    // A new link between the same two nodes goes through, and so does the rest of the lobby.
    sender.send({ type: "relay_open", to: stalled.id, link: NEXT_LINK });
    sender.sendRaw(writeRelayBinary(stalled.id, NEXT_LINK, Uint8Array.of(7)));
    sender.send({ type: "signal", to: stalled.id, data: "still here?" });
    await stalled.socket.until(() => stalled.socket.texts.some((t) => t.includes('"signal"')), "the signal");
    expect(stalled.socket.texts.some((t) => t.includes('"relay_open"') && t.includes(NEXT_LINK))).toBe(true);
    const last = readRelayBinary(stalled.socket.binaries.at(-1)!);
    expect([last.peer, last.link, [...last.frame]]).toEqual([sender.id, NEXT_LINK, [7]]);
    stalled.socket.destroy();
  });

  test("drops what the slow end still sends on the ended link, and nothing on its other links", async () => {
    const lobby = await fastRelayLobby();
    const sender = await h.node(lobby);
    const stalled = await stalledReceiver(lobby.port);
    const frame = writeRelayBinary(stalled.id, LINK, new Uint8Array(256 * 1024));
    for (let i = 0; i < 400 && sender.pending("relay_end").length === 0; i++) {
      sender.sendRaw(frame);
      if (i % 8 === 7) await Bun.sleep(5);
    }
    await sender.next("relay_end");
    // The slow end has not read the end yet: it still sends on the link, and on another one.
    stalled.socket.sendBinary(writeRelayBinary(sender.id, LINK, Uint8Array.of(1)));
    stalled.socket.sendBinary(writeRelayBinary(sender.id, NEXT_LINK, Uint8Array.of(2)));
    const got = readRelayBinary(await sender.nextBinary());
    expect([got.link, [...got.frame]]).toEqual([NEXT_LINK, [2]]);
    await Bun.sleep(100);
    expect(sender.binaries.length).toBe(1);
    expect(lobby.health().nodes).toBe(2);
    stalled.socket.destroy();
  });
});
