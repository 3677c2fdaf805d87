import { describe, expect, test } from "bun:test";
import { SseFormatError, SseParser } from "../../../server/agents/sse-parser.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

/** Every event `stream` holds when it arrives cut at the given byte offsets. */
function eventsOf(stream: Uint8Array, cuts: number[]): string[] {
  const parser = new SseParser();
  const out: string[] = [];
  let from = 0;
  for (const cut of [...cuts, stream.length]) {
    out.push(...parser.push(stream.subarray(from, cut)));
    from = cut;
  }
  out.push(...parser.end());
  return out;
}

describe("reading server-sent events", () => {
  const stream = bytes(
    ': a comment\ndata: {"a":"ü✓🧵"}\n\nevent: x\nid: 7\ndata: one\ndata:two\n\r\ndata: [DONE]\r\n\r\n',
  );
  const expected = ['{"a":"ü✓🧵"}', "one\ntwo", "[DONE]"];

  test("events are the data lines between blank lines; comments, event and id lines are ignored", () => {
    expect(eventsOf(stream, [])).toEqual(expected);
  });

  test("a stream cut at any byte, inside a line, a CRLF or a UTF-8 sequence, reads the same", () => {
    for (let cut = 1; cut < stream.length; cut++) expect(eventsOf(stream, [cut])).toEqual(expected);
  });

  test("a stream arriving one byte at a time reads the same", () => {
    expect(
      eventsOf(
        stream,
        Array.from({ length: stream.length - 1 }, (_, i) => i + 1),
      ),
    ).toEqual(expected);
  });

  test("lone CR and lone LF both end a line, as the event-stream rules say", () => {
    expect(eventsOf(bytes("data: a\r\rdata: b\n\ndata: c\r\n\r\n"), [])).toEqual(["a", "b", "c"]);
  });

  test("a last event without its blank line is still given when the stream ends", () => {
    expect(eventsOf(bytes("data: last"), [])).toEqual(["last"]);
  });

  test("a line that never ends past the bound is refused rather than held", () => {
    const parser = new SseParser(1000);
    expect(() => {
      for (let i = 0; i < 20; i++) parser.push(bytes(`data: ${"x".repeat(100)}`));
    }).toThrow(SseFormatError);
  });
});
