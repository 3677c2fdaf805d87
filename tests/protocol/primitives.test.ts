import { describe, expect, test } from "bun:test";
import { isBase64 } from "../../protocol/primitives.ts";

describe("isBase64", () => {
  test("accepts what Buffer and btoa write, for every length up to 64 bytes", () => {
    for (let n = 0; n <= 64; n++) {
      const bytes = new Uint8Array(n).map((_, i) => (i * 37 + n) & 0xff);
      expect(isBase64(Buffer.from(bytes).toString("base64"))).toBe(true);
      expect(isBase64(btoa(String.fromCharCode(...bytes)))).toBe(true);
    }
  });

  test("refuses characters outside the standard alphabet, url-safe ones included", () => {
    for (const text of ["AAA-", "AAA_", "AA.A", "AAAé", "AA\u0000A", "AAAA\n"])
      expect(isBase64(text)).toBe(false);
  });

  test("refuses whitespace anywhere, which atob alone would forgive", () => {
    for (const text of [" AAAAAAA", "AAA AAAA", "AAAAAAA ", "AAAA\tAAA", "AA\r\nAAAA"]) {
      expect(isBase64(text)).toBe(false);
    }
  });

  test("refuses missing, extra and misplaced padding", () => {
    for (const text of ["AAA", "AA", "A", "AAAAA", "A===", "====", "AA=A", "=AAA", "AA==AAAA", "AAA=AAAA"]) {
      expect(isBase64(text)).toBe(false);
    }
  });

  test("agrees with the strict regular expression on padded text of random bytes and mutations", () => {
    const strict = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alphabet = "ABCz09+/=-_ \n.é";
    for (let i = 0; i < 5_000; i++) {
      const bytes = new Uint8Array(rand(40)).map(() => rand(256));
      let text = Buffer.from(bytes).toString("base64");
      if (i % 2 === 1 && text.length > 0) {
        const at = rand(text.length);
        text = text.slice(0, at) + alphabet[rand(alphabet.length)] + text.slice(at + (rand(2) === 0 ? 1 : 0));
      }
      expect(isBase64(text)).toBe(strict.test(text));
    }
  });
});
