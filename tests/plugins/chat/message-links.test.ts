import { describe, expect, test } from "bun:test";
import { splitLinks } from "../../../plugins/chat/message-links.ts";

const links = (text: string) => splitLinks(text).filter((s) => s.kind === "link");

describe("links in a chat message", () => {
  test("an http or https URL becomes a link and the text around it stays plain", () => {
    expect(splitLinks("see https://x.org/a for it")).toEqual([
      { kind: "text", text: "see " },
      { kind: "link", text: "https://x.org/a", href: "https://x.org/a" },
      { kind: "text", text: " for it" },
    ]);
    expect(links("plain http://example.com:8080/p?q=1#h")).toEqual([
      { kind: "link", text: "http://example.com:8080/p?q=1#h", href: "http://example.com:8080/p?q=1#h" },
    ]);
  });

  test("a full stop, comma or other sentence punctuation after a link is not part of it", () => {
    expect(splitLinks("see https://x.org/a.")).toEqual([
      { kind: "text", text: "see " },
      { kind: "link", text: "https://x.org/a", href: "https://x.org/a" },
      { kind: "text", text: "." },
    ]);
    for (const tail of [",", "!", "?", ";", ":", "...", '"', "'", "?!"]) {
      expect(links(`go to https://x.org/a${tail} now`).map((l) => l.text)).toEqual(["https://x.org/a"]);
    }
  });

  test("a closing bracket is kept only when the link opened it", () => {
    expect(links("(see https://x.org/a)").map((l) => l.text)).toEqual(["https://x.org/a"]);
    expect(links("https://en.wikipedia.org/wiki/Weft_(weaving)").map((l) => l.text)).toEqual([
      "https://en.wikipedia.org/wiki/Weft_(weaving)",
    ]);
    expect(links("[https://x.org/a].").map((l) => l.text)).toEqual(["https://x.org/a"]);
  });

  test("other schemes never become links", () => {
    for (const text of [
      "javascript:alert(1)",
      "click javascript://x.org/%0aalert(1)",
      "data:text/html,<script>alert(1)</script>",
      "file:///etc/passwd",
      "ftp://x.org/a",
      "www.x.org",
      "https://",
    ]) {
      expect(links(text)).toEqual([]);
      expect(
        splitLinks(text)
          .map((s) => s.text)
          .join(""),
      ).toBe(text);
    }
  });

  test("markup in a message stays text, links beside it included", () => {
    const text = '<img src=x onerror=alert(1)> https://x.org/"><b>hi</b>';
    const segments = splitLinks(text);
    expect(segments.map((s) => s.text).join("")).toBe(text);
    expect(links(text)).toEqual([{ kind: "link", text: "https://x.org/", href: "https://x.org/" }]);
  });

  test("several links, adjacent text and newlines come back whole and in order", () => {
    const text = "a http://one.org\nb HTTPS://TWO.org/X, c";
    const segments = splitLinks(text);
    expect(segments.map((s) => s.text).join("")).toBe(text);
    expect(links(text).map((l) => l.href)).toEqual(["http://one.org/", "https://two.org/X"]);
    expect(splitLinks("")).toEqual([]);
    expect(splitLinks("no links here")).toEqual([{ kind: "text", text: "no links here" }]);
  });
});
