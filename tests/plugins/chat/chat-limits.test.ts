import { describe, expect, test } from "bun:test";
import {
  byteCounter,
  checkDraft,
  MAX_TEXT_BYTES,
  normalizeDraft,
  readLimit,
  utf8Length,
} from "../../../plugins/chat/chat-limits.ts";

describe("the composer's checks", () => {
  test("empty and blank drafts are refused", () => {
    expect(checkDraft("")).toMatchObject({ ok: false, error: "Type a message first." });
    expect(checkDraft("  \n\t ")).toMatchObject({ ok: false });
  });

  test("the limit counts UTF-8 bytes, not characters", () => {
    expect(utf8Length("é")).toBe(2);
    expect(utf8Length("🙂")).toBe(4);
    expect(checkDraft("a".repeat(MAX_TEXT_BYTES)).ok).toBe(true);
    const over = checkDraft("é".repeat(MAX_TEXT_BYTES / 2 + 1));
    expect(over.ok).toBe(false);
    if (!over.ok) expect(over.error).toContain("limit is 16 KiB");
  });

  test("blank lines before and whitespace after are dropped, indentation is kept", () => {
    expect(normalizeDraft("\n\n  code\n  more  \n\n")).toBe("  code\n  more");
    expect(checkDraft(" hi ")).toEqual({ ok: true, text: " hi", bytes: 3 });
  });

  test("the counter shows only near the limit", () => {
    expect(byteCounter(100)).toBeNull();
    expect(byteCounter(Math.ceil(MAX_TEXT_BYTES * 0.8))).toBe("13,108 / 16,384 bytes");
    expect(byteCounter(20_000)).toBe("20,000 / 16,384 bytes");
  });
});

describe("the node's limit", () => {
  test("is read from its settings when they hold a usable one", () => {
    expect(readLimit({ "chat.maxMessageBytes": 4096, other: 1 })).toBe(4096);
    expect(readLimit({ "chat.maxMessageBytes": "big" })).toBeNull();
    expect(readLimit({})).toBeNull();
    expect(readLimit(null)).toBeNull();
  });

  test("drafts are checked against it", () => {
    expect(checkDraft("a".repeat(300), 256).ok).toBe(false);
    expect(checkDraft("a".repeat(256), 256).ok).toBe(true);
  });
});
