import { beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { SealedEnvelope, SignedEnvelope } from "../../../protocol/peer.ts";
import { acceptHandshake, dialHandshake, type HandshakeResult } from "../../../server/fabric/handshake.ts";
import { MemoryNetwork } from "../../../server/fabric/links/memory-transport.ts";
import { loadOrCreateIdentity, type NodeIdentity } from "../../../server/identity/identity.ts";
import { canonicalBytes } from "../../../server/wire/canonical-json.ts";
import { newHeader, open, seal, signEnvelope, verifyEnvelope } from "../../../server/wire/envelope-crypto.ts";
import { SeenGuard } from "../../../server/wire/seen-guard.ts";
import { tempDir } from "../../helpers/temp-dir.ts";

let dialer: NodeIdentity;
let acceptor: NodeIdentity;
let other: NodeIdentity;
const key = randomBytes(32);
const data = { text: "hello", list: [1, { b: true, a: null }], nested: { z: 1, y: "two" } };

beforeAll(async () => {
  const identity = () => loadOrCreateIdentity(join(tempDir(), "identity.key"));
  [dialer, acceptor, other] = [await identity(), await identity(), await identity()];
});

const header = () =>
  newHeader("chat_message", dialer.nodeId, { dst: acceptor.nodeId, re: randomBytes(16).toString("hex") });
const signed = (): SignedEnvelope => signEnvelope(dialer, header(), data);
const sealed = (n = 7): SealedEnvelope => seal(key, header(), n, data);

/** The same JSON value with every object's keys in reverse order, at every depth. */
function reversed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversed);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, reversed(v)]),
  );
}

/** Flips bit `b` of a non-negative number without the 32-bit truncation of `^`. */
const flipNumber = (x: number, b: number) => (Math.floor(x / 2 ** b) % 2 === 1 ? x - 2 ** b : x + 2 ** b);

const flipChar = (s: string, i: number, b: number) =>
  s.slice(0, i) + String.fromCharCode(s.charCodeAt(i) ^ (1 << b)) + s.slice(i + 1);

/** Every single-bit variant of a header field's value. */
function bitFlips(value: unknown): unknown[] {
  if (typeof value === "number") return Array.from({ length: 50 }, (_, b) => flipNumber(value, b));
  if (typeof value !== "string") throw new Error(`no bit flips for ${typeof value}`);
  return [...value].flatMap((_, i) => Array.from({ length: 7 }, (_, b) => flipChar(value, i, b)));
}

const COVERED_SIGNED = ["v", "type", "msg_id", "re", "src", "ts"] as const;
const COVERED_SEALED = [...COVERED_SIGNED, "n"] as const;

describe("canonical bytes", () => {
  test("are JSON with keys sorted at every depth, no whitespace, in UTF-8", () => {
    const a = canonicalBytes({ b: 1, a: { d: [{ y: 1, x: 2 }], c: "é" } });
    const b = canonicalBytes({ a: { c: "é", d: [{ x: 2, y: 1 }] }, b: 1 });
    expect(a).toEqual(b);
    expect(Buffer.from(a).toString("utf8")).toBe('{"a":{"c":"é","d":[{"x":2,"y":1}]},"b":1}');
    expect(a.length).toBe(Buffer.byteLength('{"a":{"c":"é","d":[{"x":2,"y":1}]},"b":1}'));
  });

  test("do not depend on the order of keys at any depth, so a reordered frame still verifies and opens", () => {
    const env = signed();
    const reorderedText = JSON.stringify(reversed(env));
    expect(reorderedText).not.toBe(JSON.stringify(env));
    const reordered = JSON.parse(reorderedText) as SignedEnvelope;
    expect(canonicalBytes(reordered)).toEqual(canonicalBytes(env));
    expect(verifyEnvelope(reordered, dialer.publicKey)).toBe(true);

    const box = sealed();
    const reorderedBox = JSON.parse(JSON.stringify(reversed(box))) as SealedEnvelope;
    expect(Object.keys(reorderedBox)[0]).toBe("box");
    expect(open(key, reorderedBox)).toBe(JSON.stringify(data));
  });
});

describe("a signed frame", () => {
  test("verifies as made, and only against its signer's key", () => {
    const env = signed();
    expect(verifyEnvelope(env, dialer.publicKey)).toBe(true);
    expect(verifyEnvelope(env, other.publicKey)).toBe(false);
  });

  test("stops verifying when type, msg_id, re, src, ts or the payload changes", () => {
    const env = signed();
    const changes: Array<Partial<SignedEnvelope>> = [
      { type: "chat_messagf" },
      { msg_id: randomBytes(16).toString("hex") },
      { re: randomBytes(16).toString("hex") },
      { re: undefined },
      { src: other.nodeId },
      { ts: env.ts + 1 },
      { data: { ...data, text: "hellp" } },
      { data: { ...data, extra: 1 } },
    ];
    for (const change of changes) expect(verifyEnvelope({ ...env, ...change }, dialer.publicKey)).toBe(false);
  });

  test("still verifies when dst or ttl changes, so a relay can route and count hops", () => {
    const env = signed();
    for (const change of [{ dst: other.nodeId }, { dst: undefined }, { ttl: 0 }, { ttl: 3 }]) {
      expect(verifyEnvelope({ ...env, ...change }, dialer.publicKey)).toBe(true);
    }
  });

  test("stops verifying with any single bit flipped in a covered field or in the signature", () => {
    const env = signed();
    for (const field of COVERED_SIGNED) {
      for (const value of bitFlips(env[field])) {
        expect(verifyEnvelope({ ...env, [field]: value }, dialer.publicKey)).toBe(false);
      }
    }
    const sig = Buffer.from(env.sig, "base64");
    for (let bit = 0; bit < sig.length * 8; bit++) {
      const flipped = Buffer.from(sig);
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      expect(verifyEnvelope({ ...env, sig: flipped.toString("base64") }, dialer.publicKey)).toBe(false);
    }
  });
});

describe("a sealed frame", () => {
  test("opens as made, and only under its key", () => {
    const env = sealed();
    expect(open(key, env)).toBe(JSON.stringify(data));
    expect(open(randomBytes(32), env)).toBeUndefined();
  });

  test("fails to open when type, msg_id, re, src, ts, n or the payload changes", () => {
    const env = sealed();
    const changes: Array<Partial<SealedEnvelope>> = [
      { type: "chat_messagf" },
      { msg_id: randomBytes(16).toString("hex") },
      { re: randomBytes(16).toString("hex") },
      { re: undefined },
      { src: other.nodeId },
      { ts: env.ts + 1 },
      { n: env.n + 1 },
      // The box of another frame under the same key and counter: valid on its own, not with this header.
      { box: sealed(env.n).box },
    ];
    for (const change of changes) expect(open(key, { ...env, ...change })).toBeUndefined();
  });

  test("still opens when dst or ttl changes", () => {
    const env = sealed();
    for (const change of [{ dst: other.nodeId }, { dst: undefined }, { ttl: 0 }, { ttl: 3 }]) {
      expect(open(key, { ...env, ...change })).toBe(JSON.stringify(data));
    }
  });

  test("fails to open with any single bit flipped in the box or in a covered header field", () => {
    const env = sealed();
    const box = Buffer.from(env.box, "base64");
    for (let bit = 0; bit < box.length * 8; bit++) {
      const flipped = Buffer.from(box);
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      expect(open(key, { ...env, box: flipped.toString("base64") })).toBeUndefined();
    }
    for (const field of COVERED_SEALED) {
      for (const value of bitFlips(env[field])) expect(open(key, { ...env, [field]: value })).toBeUndefined();
    }
  });
});

describe("session keys", () => {
  async function handshake(): Promise<{ d: HandshakeResult; a: HandshakeResult }> {
    const net = new MemoryNetwork();
    const common = (identity: NodeIdentity) => ({
      identity,
      nodeName: identity.nodeId,
      capabilities: [],
      limits: { maxFrameBytes: 1 << 20, maxJsonDepth: 32 },
      seen: new SeenGuard(),
    });
    let accepted: Promise<HandshakeResult> | undefined;
    net.transport("memory://acceptor").listen((link) => {
      accepted = acceptHandshake(link, { ...common(acceptor), decide: async () => ({ ok: true }) });
    });
    const d = await dialHandshake(await net.transport().dial("memory://acceptor"), common(dialer));
    if (!accepted) throw new Error("the acceptor never saw the link");
    return { d, a: await accepted };
  }

  test("are directional: the dialer's send key opens only on the acceptor's receive side", async () => {
    const { d, a } = await handshake();
    expect(d.peerId).toBe(acceptor.nodeId);
    expect(a.peerId).toBe(dialer.nodeId);
    const fromDialer = seal(d.sendKey, newHeader("chat_message", dialer.nodeId), 1, data);
    expect(open(a.recvKey, fromDialer)).toBe(JSON.stringify(data));
    // Neither the acceptor's own direction nor a reflection back to the dialer opens it.
    expect(open(a.sendKey, fromDialer)).toBeUndefined();
    expect(open(d.recvKey, fromDialer)).toBeUndefined();
    const fromAcceptor = seal(a.sendKey, newHeader("chat_message", acceptor.nodeId), 1, data);
    expect(open(d.recvKey, fromAcceptor)).toBe(JSON.stringify(data));
    expect(open(d.sendKey, fromAcceptor)).toBeUndefined();
    expect(open(a.recvKey, fromAcceptor)).toBeUndefined();
  });

  test("are fresh for every handshake, so a frame from one session does not open in the next", async () => {
    const first = await handshake();
    const second = await handshake();
    const frame = seal(first.d.sendKey, newHeader("chat_message", dialer.nodeId), 1, data);
    expect(open(first.a.recvKey, frame)).toBe(JSON.stringify(data));
    expect(open(second.a.recvKey, frame)).toBeUndefined();
    expect(Buffer.compare(first.d.sendKey, second.d.sendKey)).not.toBe(0);
  });
});
