import { describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import {
  AAD_START,
  BinaryFrameError,
  type BinaryHeaderFields,
  binaryHeaderLength,
  readBinaryHeader,
  SEALED_BINARY_KIND,
  writeBinaryHeader,
} from "../../protocol/peer-binary.ts";
import { PROTOCOL_VERSION } from "../../protocol/version.ts";

const base: BinaryHeaderFields & { dst: string } = {
  v: PROTOCOL_VERSION,
  type: "chat_message",
  msg_id: "0123456789abcdef0123456789abcdef",
  src: "aaaaaaaaaaaaaaaa",
  dst: "bbbbbbbbbbbbbbbb",
  ts: 1_796_000_000_000,
  ttl: 8,
  n: 1,
};

/** A header and a box of `boxBytes` random bytes, as a frame on the wire. */
function frameOf(h: BinaryHeaderFields, boxBytes = 40): Uint8Array {
  const length = binaryHeaderLength(h);
  const frame = new Uint8Array(length + boxBytes);
  writeBinaryHeader(h, frame);
  frame.set(randomBytes(boxBytes), length);
  return frame;
}

describe("the binary form of a sealed frame", () => {
  test("reads back every header field it was written with, with and without re", () => {
    for (const re of [undefined, "ffeeddccbbaa99887766554433221100"]) {
      for (const n of [1, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER]) {
        for (const ttl of [0, 3, 8]) {
          const h = { ...base, n, ttl, ts: n, ...(re ? { re } : {}) };
          const frame = frameOf(h);
          const { boxStart, ...read } = readBinaryHeader(frame);
          expect(read).toEqual(h);
          expect(boxStart).toBe(binaryHeaderLength(h));
          expect(frame[0]).toBe(SEALED_BINARY_KIND);
        }
      }
    }
  });

  test("reads the shortest frame there is: a one-letter type and a box of a tag and two bytes", () => {
    const h = { ...base, type: "x" };
    const frame = frameOf(h, 18);
    expect(frame.length).toBe(88);
    expect(readBinaryHeader(frame)).toMatchObject({ type: "x", boxStart: 70 });
    expect(() => readBinaryHeader(frame.subarray(0, 87))).toThrow(BinaryFrameError);
  });

  test("keeps ttl and dst before the associated data, so a relay can route and count hops", () => {
    const frame = frameOf(base);
    expect(frame[1]).toBe(8);
    expect(new TextDecoder().decode(frame.subarray(2, AAD_START))).toBe(base.dst);
    expect(frame[AAD_START]).toBe(PROTOCOL_VERSION);
  });

  const refusals: Array<[string, (f: Uint8Array) => Uint8Array]> = [
    ["a frame cut short", (f) => f.subarray(0, 60)],
    ["another first byte", (f) => set(f, 0, 0x7b)],
    ["a ttl above 8", (f) => set(f, 1, 9)],
    ["a dst that is not a node id", (f) => set(f, 5, 0x41)],
    ["another protocol version", (f) => set(f, AAD_START, PROTOCOL_VERSION + 1)],
    ["an unknown flag", (f) => set(f, 19, 0x02)],
    ["a counter of 0", (f) => setMany(f, 20, [0, 0, 0, 0, 0, 0, 0, 0])],
    ["a counter past 2^53 - 1", (f) => setMany(f, 20, [0, 0x20, 0, 0, 0, 0, 0, 1])],
    ["a timestamp past 2^53 - 1", (f) => setMany(f, 28, [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0])],
    ["a src that is not a node id", (f) => set(f, 60, 0x31)],
    ["a type of length 0", (f) => set(f, 68, 0)],
    ["a type longer than 32", (f) => set(f, 68, 33)],
    ["a type with a space", (f) => set(f, 70, 0x20)],
    ["a box shorter than a tag and two bytes", (f) => f.subarray(0, binaryHeaderLength(base) + 17)],
  ];
  for (const [what, bend] of refusals) {
    test(`refuses ${what}`, () => {
      expect(() => readBinaryHeader(bend(frameOf(base)))).toThrow(BinaryFrameError);
    });
  }

  test("refuses to write what the form cannot carry, and what the JSON form's schema would refuse", () => {
    const out = new Uint8Array(200);
    for (const bad of [
      { dst: undefined },
      { dst: "short" },
      { src: "AAAAAAAAAAAAAAAA" },
      { type: "" },
      { type: "x".repeat(33) },
      { type: "two words" },
      { msg_id: "XYZ" },
      { msg_id: "0123456789ABCDEF0123456789ABCDEF" },
      { re: "nothex" },
      { ttl: 9 },
      { n: 0 },
      { n: 2 ** 53 },
      { ts: -1 },
      { ts: 1.5 },
    ]) {
      expect(
        () => writeBinaryHeader({ ...base, ...bad } as BinaryHeaderFields, out),
        JSON.stringify(bad),
      ).toThrow(BinaryFrameError);
    }
  });

  test("never throws anything but BinaryFrameError, whatever bytes arrive", () => {
    const good = frameOf({ ...base, re: "00112233445566778899aabbccddeeff" });
    for (let i = 0; i < 20_000; i++) {
      const f = Uint8Array.from(good);
      for (let k = 0; k < 1 + (i % 4); k++) f[(i * 7919 + k * 104729) % f.length] = (i * 31 + k) & 0xff;
      const cut = i % 5 === 0 ? f.subarray(0, i % f.length) : f;
      try {
        readBinaryHeader(cut);
      } catch (err) {
        expect(err).toBeInstanceOf(BinaryFrameError);
      }
    }
  });
});

function set(f: Uint8Array, at: number, value: number): Uint8Array {
  const out = Uint8Array.from(f);
  out[at] = value;
  return out;
}

function setMany(f: Uint8Array, at: number, values: number[]): Uint8Array {
  const out = Uint8Array.from(f);
  out.set(values, at);
  return out;
}
