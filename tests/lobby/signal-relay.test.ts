import { describe, expect, test } from "bun:test";
import { readRelayBinary, writeRelayBinary } from "../../protocol/lobby.ts";
import { lobbyHarness } from "./lobby-harness.ts";

const h = lobbyHarness();
const LINK = "0a1b2c3d";

describe("signaling and the relay", () => {
  test("a signal arrives from its true sender with its data unchanged", async () => {
    const lobby = await h.lobby();
    const a = await h.node(lobby);
    const b = await h.node(lobby);
    a.send({ type: "signal", to: b.id, data: { sdp: "offer", n: [1, 2] } });
    expect(await b.next("signal")).toEqual({ type: "signal", from: a.id, data: { sdp: "offer", n: [1, 2] } });
  });

  test("a signal that carries its own from is refused and the receiver never sees the spoofed id", async () => {
    const lobby = await h.lobby();
    const a = await h.node(lobby);
    const b = await h.node(lobby);
    const c = await h.node(lobby);
    a.send({ type: "signal", to: b.id, from: c.id, data: "hi" });
    const error = await a.next("error");
    expect(error.code).toBe("bad_frame");
    expect(error.re).toBe("signal");
    a.send({ type: "signal", to: b.id, data: "after" });
    expect((await b.next("signal")).from).toBe(a.id);
    expect(b.texts.some((t) => t.includes(c.id) && t.includes('"signal"'))).toBe(false);
  });

  test("a signal or relayed frame for a node that is not here is undeliverable", async () => {
    const lobby = await h.lobby();
    const a = await h.node(lobby);
    const nobody = "aaaaaaaaaaaaaaaa";
    a.send({ type: "signal", to: nobody, data: 1 });
    expect(await a.next("undeliverable")).toEqual({ type: "undeliverable", to: nobody });
    a.send({ type: "relay_open", to: nobody, link: LINK });
    expect(await a.next("undeliverable")).toEqual({ type: "undeliverable", to: nobody, link: LINK });
    a.sendRaw(writeRelayBinary(nobody, LINK, new Uint8Array([1, 2, 3])));
    expect(await a.next("undeliverable")).toEqual({ type: "undeliverable", to: nobody, link: LINK });
  });

  test("relayed JSON frames open, carry and end a link with the true sender", async () => {
    const lobby = await h.lobby();
    const a = await h.node(lobby);
    const b = await h.node(lobby);
    a.send({ type: "relay_open", to: b.id, link: LINK });
    expect(await b.next("relay_open")).toEqual({ type: "relay_open", from: a.id, link: LINK });
    b.send({ type: "relay_open", to: a.id, link: LINK });
    expect(await a.next("relay_open")).toEqual({ type: "relay_open", from: b.id, link: LINK });
    a.send({ type: "relay", to: b.id, link: LINK, frame: '{"sealed":"x"}' });
    expect(await b.next("relay")).toEqual({ type: "relay", from: a.id, link: LINK, frame: '{"sealed":"x"}' });
    a.send({ type: "relay_end", to: b.id, link: LINK, reason: "1000 done" });
    expect(await b.next("relay_end")).toEqual({
      type: "relay_end",
      from: a.id,
      link: LINK,
      reason: "1000 done",
    });
  });

  test("a relayed binary frame arrives with the sender's id in place of the receiver's and its bytes intact", async () => {
    const lobby = await h.lobby();
    const a = await h.node(lobby);
    const b = await h.node(lobby);
    const payload = Uint8Array.from({ length: 1024 }, (_, i) => i % 251);
    a.sendRaw(writeRelayBinary(b.id, LINK, payload));
    const got = readRelayBinary(await b.nextBinary());
    expect(got.peer).toBe(a.id);
    expect(got.link).toBe(LINK);
    expect(Buffer.from(got.frame).equals(Buffer.from(payload))).toBe(true);
  });

  test("relayed binary frames and the relay_end after them arrive in the order they were sent", async () => {
    const lobby = await h.lobby();
    const a = await h.node(lobby);
    const b = await h.node(lobby);
    for (let i = 0; i < 50; i++) a.sendRaw(writeRelayBinary(b.id, LINK, Uint8Array.of(i)));
    a.send({ type: "relay_end", to: b.id, link: LINK, reason: "1000 done" });
    await b.next("relay_end");
    const relayed = b.sequence.filter((t) => t === "binary" || t.startsWith("relay"));
    expect(relayed).toEqual([...Array(50).fill("binary"), "relay_end"]);
    expect(b.binaries.map((f) => readRelayBinary(f).frame[0])).toEqual([...Array(50).keys()]);
  });
});
