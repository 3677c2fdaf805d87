import { describe, expect, test } from "bun:test";
import { newsPreview, PREVIEW_CHARS, unreadRises } from "../../../plugins/chat/news-format.ts";

describe("chat news", () => {
  test("the first counts a tab sees are old news", () => {
    expect(unreadRises(null, { a: 4, b: 1 })).toEqual([]);
  });

  test("only conversations whose count rose are news, busiest first", () => {
    expect(unreadRises({ a: 1, b: 2, c: 5 }, { a: 2, b: 2, c: 0, d: 3 })).toEqual([
      { nodeId: "d", added: 3 },
      { nodeId: "a", added: 1 },
    ]);
    expect(unreadRises({ a: 2 }, { a: 1 })).toEqual([]);
  });

  test("a preview is one line, cut at a word with an ellipsis when long", () => {
    expect(newsPreview("hello\n  there", 1)).toBe("hello there");
    const long = `${"word ".repeat(60)}end`;
    const cut = newsPreview(long, 1);
    expect(cut.length).toBeLessThanOrEqual(PREVIEW_CHARS + 1);
    expect(cut.endsWith("word…")).toBe(true);
    expect(newsPreview("x".repeat(300), 1)).toBe(`${"x".repeat(PREVIEW_CHARS)}…`);
  });

  test("a preview says how many more messages came with it", () => {
    expect(newsPreview("latest", 1)).toBe("latest");
    expect(newsPreview("latest", 3)).toBe("latest (+2 more)");
  });
});
