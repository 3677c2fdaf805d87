import { describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { b64Bytes, invitePayload } from "../../protocol/peer.ts";

const protocolDir = join(import.meta.dir, "..", "..", "protocol");

describe("wire schemas", () => {
  test("b64Bytes accepts exactly n bytes of standard base64", () => {
    for (const n of [16, 32, 64]) {
      const schema = b64Bytes(n);
      for (let i = 0; i < 100; i++)
        expect(schema.safeParse(randomBytes(n).toString("base64")).success).toBe(true);
      expect(schema.safeParse(randomBytes(n - 1).toString("base64")).success).toBe(false);
      expect(schema.safeParse(randomBytes(n + 1).toString("base64")).success).toBe(false);
      expect(schema.safeParse(randomBytes(n).toString("base64url").replace(/=+$/, "")).success).toBe(false);
    }
  });

  test("protocol/ uses no Node API, so the browser can parse with the same schemas", () => {
    for (const file of readdirSync(protocolDir).filter((f) => f.endsWith(".ts"))) {
      const text = readFileSync(join(protocolDir, file), "utf8");
      expect({ file, usesNode: /\bBuffer\b|from "node:|\bprocess\./.test(text) }).toEqual({
        file,
        usesNode: false,
      });
    }
  });

  test("an invite needs a key, at least one ws address, a 128-bit token and an expiry", () => {
    const ok = {
      n: "a".repeat(16),
      k: randomBytes(32).toString("base64"),
      a: ["ws://192.0.2.1:7420/peer-ws"],
      t: randomBytes(16).toString("base64url"),
      e: Date.now(),
    };
    expect(invitePayload.safeParse(ok).success).toBe(true);
    for (const bad of [
      { ...ok, a: [] },
      { ...ok, a: ["http://x"] },
      { ...ok, t: "short" },
      { ...ok, extra: 1 },
    ]) {
      expect(invitePayload.safeParse(bad).success).toBe(false);
    }
  });
});
