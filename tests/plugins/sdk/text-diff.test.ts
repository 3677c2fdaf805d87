import { describe, expect, test } from "bun:test";
import { diffText } from "../../../plugins/sdk/text-diff.ts";

function apply(prev: string, next: string): string {
  const splice = diffText(prev, next);
  if (!splice) return prev;
  return prev.slice(0, splice.index) + splice.insert + prev.slice(splice.index + splice.remove);
}

describe("diffText", () => {
  test("equal texts need no splice", () => {
    expect(diffText("same", "same")).toBeNull();
  });

  test("keeps the common prefix and suffix", () => {
    expect(diffText("hello world", "hello, world")).toEqual({ index: 5, remove: 0, insert: "," });
    expect(diffText("abcdef", "abef")).toEqual({ index: 2, remove: 2, insert: "" });
    expect(diffText("", "new")).toEqual({ index: 0, remove: 0, insert: "new" });
    expect(diffText("old", "")).toEqual({ index: 0, remove: 3, insert: "" });
  });

  test("a repeated letter is not counted twice by prefix and suffix", () => {
    expect(diffText("aa", "aaa")).toEqual({ index: 2, remove: 0, insert: "a" });
    expect(apply("abab", "ab")).toBe("ab");
  });

  test("never splits a surrogate pair", () => {
    const splice = diffText("a😀b", "a😃b");
    expect(splice).toEqual({ index: 1, remove: 2, insert: "😃" });
    const tail = diffText("x😀", "x😀😀");
    expect(tail?.insert).toBe("😀");
    for (const [prev, next] of [
      ["😀😀", "😀"],
      ["a😀", "a😁"],
      ["😀x", "😁x"],
      ["😀", "😀😀😀"],
    ] as const) {
      const s = diffText(prev, next)!;
      expect(apply(prev, next)).toBe(next);
      expect(s.insert.toWellFormed()).toBe(s.insert);
      expect(prev.slice(0, s.index).toWellFormed()).toBe(prev.slice(0, s.index));
    }
  });
});
