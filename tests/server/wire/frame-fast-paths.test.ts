import { describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import type { SealedEnvelope } from "../../../protocol/peer.ts";
import { canonicalBytes } from "../../../server/wire/canonical-json.ts";
import { aadOf, newHeader, open, seal } from "../../../server/wire/envelope-crypto.ts";
import { FrameRejected, jsonDepth, parseGuardedJson } from "../../../server/wire/json-guard.ts";

/** The associated data as protocol/peer.ts defines it: canonical bytes of all but box, dst, ttl. */
function referenceAad(env: Record<string, unknown>): Uint8Array {
  const { box: _box, dst: _dst, ttl: _ttl, ...covered } = env;
  return canonicalBytes(covered);
}

/** The plain forward scan: inside a string a backslash skips the next character. */
function referenceDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{" || c === "[") max = Math.max(max, ++depth);
    else if (c === "}" || c === "]") depth--;
  }
  return max;
}

/** A tiny deterministic generator, so a failure names a seed that reproduces it. */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

const key = randomBytes(32);

describe("the associated data of a sealed frame", () => {
  test("is byte for byte the canonical JSON of its header without box, dst and ttl", () => {
    const types = ["chat_message", 'q"uote', "back\\slash", "ctl\u0001", "é ü", "emoji 🎉", "lone \ud800"];
    for (const type of types) {
      for (const re of [undefined, randomBytes(16).toString("hex")]) {
        for (const dst of [undefined, "bbbbbbbbbbbbbbbb"]) {
          const env = seal(key, newHeader(type, "aaaaaaaaaaaaaaaa", { re, dst }), 2 ** 40 + 3, { x: 1 });
          expect(aadOf(env)).toEqual(referenceAad(env));
          expect(open(key, env)).toBe('{"x":1}');
        }
      }
    }
  });

  test("takes the general path, with the same bytes, for a header with fields beyond the envelope's", () => {
    const env = seal(key, newHeader("t", "aaaaaaaaaaaaaaaa"), 1, {}) as SealedEnvelope & { extra?: unknown };
    const odd = { ...env, extra: { b: 1, a: [2] }, ts: 1.5 };
    expect(aadOf(odd)).toEqual(referenceAad(odd));
    expect(open(key, odd)).toBeUndefined();
  });

  test("puts the whole counter into the nonce, so counters 2^32 apart never share a keystream", () => {
    const header = newHeader("t", "aaaaaaaaaaaaaaaa");
    const cipherText = (n: number) => {
      const box = Buffer.from(seal(key, header, n, { same: true }).box, "base64");
      return box.subarray(0, box.length - 16).toString("hex");
    };
    // The same counter gives the same keystream, so the comparison below can see a shared nonce.
    expect(cipherText(5)).toBe(cipherText(5));
    expect(cipherText(5 + 2 ** 32)).not.toBe(cipherText(5));
    expect(cipherText(2 ** 53 - 1)).not.toBe(cipherText(2 ** 32 - 1));
    const last = seal(key, header, Number.MAX_SAFE_INTEGER, { same: true });
    expect(open(key, last)).toBe('{"same":true}');
  });
});

describe("a new header", () => {
  test("carries exactly the header fields, re and dst only when given", () => {
    const re = randomBytes(16).toString("hex");
    const dst = "bbbbbbbbbbbbbbbb";
    const keys = (extra: { re?: string; dst?: string }) =>
      Object.keys(newHeader("t", "aaaaaaaaaaaaaaaa", extra));
    expect(keys({})).toEqual(["v", "type", "msg_id", "src", "ts", "ttl"]);
    expect(keys({ re })).toEqual(["v", "type", "msg_id", "re", "src", "ts", "ttl"]);
    expect(keys({ dst })).toEqual(["v", "type", "msg_id", "src", "dst", "ts", "ttl"]);
    expect(keys({ re, dst })).toEqual(["v", "type", "msg_id", "re", "src", "dst", "ts", "ttl"]);
    expect(newHeader("t", "aaaaaaaaaaaaaaaa", { re, dst })).toMatchObject({
      v: 1,
      type: "t",
      re,
      dst,
      ttl: 8,
    });
  });
});

describe("message ids", () => {
  test("are 128-bit lowercase hex and do not repeat across many frames", () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5_000; i++) ids.add(newHeader("t", "aaaaaaaaaaaaaaaa").msg_id);
    expect(ids.size).toBe(5_000);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe("the JSON guard", () => {
  test("measures nesting exactly as a character-by-character scan does, escapes and all", () => {
    const alphabet = ['"', "\\", "{", "}", "[", "]", "a", ":", ","];
    for (let seed = 1; seed <= 3_000; seed++) {
      const next = rng(seed);
      const length = Math.floor(next() * 40);
      let text = "";
      for (let i = 0; i < length; i++) text += alphabet[Math.floor(next() * alphabet.length)];
      if (jsonDepth(text) !== referenceDepth(text)) throw new Error(`seed ${seed}: ${JSON.stringify(text)}`);
    }
    expect(jsonDepth(`{"a":"\\\\"}`)).toBe(1);
    expect(jsonDepth(`{"a":"\\"[[["}`)).toBe(1);
    expect(jsonDepth(`{"a":"\\\\\\"{{"}`)).toBe(1);
  });

  test("refuses every forbidden key however it is spelled, and lets the same words through as values", () => {
    const spelled = [
      '{"__proto__":1}',
      '{"a":{"\\u005f\\u005fproto__":1}}',
      '{"constr\\u0075ctor":1}',
      '[{"prot\\u006ftype":1}]',
      '{"\\u0063onstructor":{"x":1}}',
    ];
    for (const text of spelled) {
      expect(() => parseGuardedJson(text, 32)).toThrow(FrameRejected);
      try {
        parseGuardedJson(text, 32);
      } catch (err) {
        expect((err as FrameRejected).code).toBe("forbidden_key");
      }
    }
    expect(parseGuardedJson('{"text":"constructor prototype __proto__ \\u0041"}', 32)).toEqual({
      text: "constructor prototype __proto__ A",
    });
    expect(parseGuardedJson('{"protocol":"x"}', 32)).toEqual({ protocol: "x" });
  });

  test("refuses text that is not JSON on either path", () => {
    for (const text of ['{"a":', '{"proto":', "nope"]) {
      try {
        parseGuardedJson(text, 32);
        throw new Error("accepted");
      } catch (err) {
        expect((err as FrameRejected).code).toBe("bad_json");
      }
    }
  });
});
