import { afterEach, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { AAD_START, readBinaryHeader, SEALED_BINARY } from "../../../protocol/peer-binary.ts";
import type { RunningNode } from "../../../server/node.ts";
import { newHeader } from "../../../server/wire/envelope-crypto.ts";
import { openBinary, sealBinary } from "../../../server/wire/sealed-binary.ts";
import { eventually, mintInvite, nodePool, pair } from "../../helpers/peer-nodes.ts";
import { echoProbe, expectStillServing, processFaults, RawPeer, TEST_ECHO } from "../../helpers/raw-peer.ts";

const pool = nodePool();
const faults = processFaults();
afterEach(() => expect(faults).toEqual([]));

const rejects = (node: RunningNode, code: string) => node.fabric.hub.rejects[code] ?? 0;
const key = randomBytes(32);
const header = () => ({
  ...newHeader("chat_message", "aaaaaaaaaaaaaaaa", { dst: "bbbbbbbbbbbbbbbb" }),
  n: 7,
});

describe("sealing in the binary form", () => {
  test("opens to the very JSON that was sealed", () => {
    const data = { text: "héllo ✓ 🧵", n: [1, 2, 3] };
    const frame = sealBinary(key, header(), data);
    expect(openBinary(key, frame, readBinaryHeader(frame))).toBe(JSON.stringify(data));
  });

  test("does not open with a bit flipped anywhere in the associated data or the box", () => {
    const frame = sealBinary(key, header(), { text: "sealed" });
    for (let bit = AAD_START * 8; bit < frame.length * 8; bit++) {
      const bent = Uint8Array.from(frame);
      bent[bit >> 3]! ^= 1 << (bit & 7);
      let opened: string | undefined;
      try {
        opened = openBinary(key, bent, readBinaryHeader(bent));
      } catch {
        opened = undefined; // the header no longer reads: refused before the box
      }
      expect(opened, `bit ${bit}`).toBeUndefined();
    }
  });

  test("still opens after a relay lowers the ttl, which stays outside the associated data", () => {
    const frame = sealBinary(key, header(), { text: "hop" });
    frame[1] = 3;
    expect(openBinary(key, frame, readBinaryHeader(frame))).toBe('{"text":"hop"}');
  });

  test("does not open under another key or another counter's nonce", () => {
    const frame = sealBinary(key, header(), { text: "x" });
    expect(openBinary(randomBytes(32), frame, readBinaryHeader(frame))).toBeUndefined();
    expect(openBinary(key, frame, { ...readBinaryHeader(frame), n: 8 })).toBeUndefined();
  });
});

/** A live node in open-lan mode with a `test_echo` feature, and a raw peer with a session to it. */
async function linked(opts: { binaryHello?: boolean } = {}) {
  const node = await pool.start();
  node.settings.update({ "network.trustMode": "open-lan" });
  const probe = echoProbe(node);
  const peer = await RawPeer.create("raw");
  await peer.connect(node.port);
  await peer.handshake(opts.binaryHello ? { hello: { data: { capabilities: [SEALED_BINARY] } } } : {});
  return { node, probe, peer };
}

async function sendMarker(peer: RawPeer, probe: { texts: string[] }, text = "after"): Promise<void> {
  peer.sendSealedBinary(TEST_ECHO, { text });
  await eventually(() => probe.texts.includes(text), `"${text}" to reach the feature`);
}

describe("a session between two nodes", () => {
  test("seals in the binary form both ways when both hellos list it, and features work over it", async () => {
    const a = await pool.start();
    const b = await pool.start();
    const text = z.object({ text: z.string() });
    const atB: string[] = [];
    b.fabric.hub.handle("test_echo", text, (peer, d) => {
      atB.push(d.text);
      peer.sendRaw("test_echo", { text: `back ${d.text}` });
    });
    const atA: string[] = [];
    a.fabric.hub.handle("test_echo", text, (_p, d) => {
      atA.push(d.text);
    });
    expect((await pair(a, await mintInvite(b))).body).toMatchObject({ ok: true });
    const [toB, toA] = [a.fabric.hub.session(b.identity.nodeId), b.fabric.hub.session(a.identity.nodeId)];
    expect(toB?.binaryFrames).toBe(true);
    expect(toA?.binaryFrames).toBe(true);
    expect(a.fabric.hub.sendRaw(b.identity.nodeId, "test_echo", { text: "hi" })).toBe(true);
    await eventually(() => atA.includes("back hi"), "the reply");
    expect(atB).toEqual(["hi"]);
  });
});

describe("a peer whose hello does not list the binary form", () => {
  test("gets every session frame as JSON text, and its JSON frames are read", async () => {
    const { node, probe, peer } = await linked();
    expect(node.fabric.hub.session(peer.identity.nodeId)?.binaryFrames).toBe(false);
    peer.sendSealed(TEST_ECHO, { text: "json" });
    await eventually(() => probe.texts.includes("json"), "the JSON frame");
    await eventually(
      () => peer.sessionFrames().some((f) => f.env.type === "presence"),
      "the node's presence",
    );
    expect(peer.receivedBinary).toEqual([]);
  });
});

describe("binary frames from a peer", () => {
  test("are answered in the binary form once its hello lists it", async () => {
    const { node, peer } = await linked({ binaryHello: true });
    expect(node.fabric.hub.session(peer.identity.nodeId)?.binaryFrames).toBe(true);
    await eventually(
      () => peer.sessionFrames().some((f) => f.env.type === "presence"),
      "the node's presence",
    );
    expect(peer.receivedBinary.length).toBeGreaterThan(0);
  });

  test("reach the feature, mixed with JSON frames on the same counter", async () => {
    const { probe, peer } = await linked();
    peer.sendSealedBinary(TEST_ECHO, { text: "one" });
    peer.sendSealed(TEST_ECHO, { text: "two" });
    peer.sendSealedBinary(TEST_ECHO, { text: "three" });
    await eventually(() => probe.texts.length === 3, "all three frames");
    expect(probe.texts).toEqual(["one", "two", "three"]);
  });

  test("sent again, or with an older counter, are refused as replays", async () => {
    const { node, probe, peer } = await linked();
    const captured = peer.sendSealedBinary(TEST_ECHO, { text: "once" }, { n: 10 });
    await eventually(() => probe.texts.includes("once"), "the original frame");
    peer.sendBytes(captured);
    peer.sendSealedBinary(TEST_ECHO, { text: "older" }, { n: 5 });
    await eventually(() => rejects(node, "replay") === 2, "the replays to be refused");
    peer.counter = 10;
    await sendMarker(peer, probe);
    expect(probe.texts).toEqual(["once", "after"]);
  });

  test("with a flipped bit in the header or the box do not open, and do not advance the counter", async () => {
    const { node, probe, peer } = await linked();
    const inHeader = peer.sealBinary(TEST_ECHO, { text: "forged header" });
    inHeader[30]! ^= 0x01; // a bit of ts
    const inBox = peer.sealBinary(TEST_ECHO, { text: "forged box" });
    inBox[inBox.length - 20]! ^= 0x80;
    const far = peer.sealBinary(TEST_ECHO, { text: "far" }, { n: 1_000_000 });
    far[far.length - 1]! ^= 0x01;
    for (const f of [inHeader, inBox, far]) peer.sendBytes(f);
    await eventually(() => rejects(node, "forgery") === 3, "the three forgeries to be refused");
    await sendMarker(peer, probe);
    expect(probe.texts).toEqual(["after"]);
    expect(peer.closeInfo).toBeUndefined();
  });

  test("that are malformed, too big, from another src or of an unknown type are refused for that reason", async () => {
    const { node, probe, peer } = await linked();
    node.settings.update({ "network.maxFrameBytes": 4096 });
    // Settings are read when a session starts: link again to run under the lowered limit.
    peer.close();
    const again = await RawPeer.create("raw", peer.identity);
    await again.connect(node.port);
    await again.handshake();

    again.sendBytes(again.sealBinary(TEST_ECHO, { text: "x".repeat(5000) }));
    const bent = again.sealBinary(TEST_ECHO, { text: "bent" });
    bent[19] = 0x80; // an unknown flag
    again.sendBytes(bent);
    again.sendBytes(Uint8Array.from([0x01, 0x02, 0x03]));
    const otherSrc = sealBinary(
      again.sendKey!,
      {
        ...newHeader(TEST_ECHO, "cccccccccccccccc", { dst: again.nodeId! }),
        n: ++again.counter,
      },
      { text: "other" },
    );
    again.sendBytes(otherSrc);
    const unknown = again.sendSealedBinary("no_such_type", { text: "?" });
    again.sendSealedBinary(TEST_ECHO, { nope: 1 });
    await eventually(
      () =>
        rejects(node, "too_big") === 1 &&
        rejects(node, "bad_envelope") === 2 &&
        rejects(node, "wrong_src") === 1 &&
        rejects(node, "unknown_type") === 1 &&
        rejects(node, "bad_data") === 1,
      "each bad frame refused for its reason",
    );
    const msgId = readBinaryHeader(unknown).msg_id;
    await eventually(
      () => again.sessionFrames().some((f) => f.env.type === "error" && f.env.re === msgId),
      "the node's error reply to the unknown type",
    );
    await sendMarker(again, probe);
    expect(probe.texts).toEqual(["after"]);
    await expectStillServing(node, probe);
  });
});
