/** A server-sent-events stream that cannot be read: a line past the bound. */
export class SseFormatError extends Error {
  override readonly name = "SseFormatError";
}

/** Longest line kept while waiting for its end; a chat-completions chunk is a few hundred bytes. */
export const MAX_SSE_LINE_CHARS = 1024 * 1024;

const LF = 10;
const CR = 13;

/**
 * The `data` of each server-sent event, from bytes as they arrive (the WHATWG event-stream
 * rules, the parts a chat-completions stream uses). A chunk may end anywhere: inside a line,
 * between `\r` and `\n`, inside a UTF-8 sequence; what is incomplete waits for the next one.
 * `event:`, `id:`, `retry:` and `:` comment lines are read and ignored.
 */
export class SseParser {
  readonly #decoder = new TextDecoder("utf-8");
  readonly #maxLine: number;
  #buffer = "";
  /** The last chunk ended in `\r`: a `\n` opening the next one belongs to the same line break. */
  #afterCr = false;
  #data: string[] = [];

  constructor(maxLine = MAX_SSE_LINE_CHARS) {
    this.#maxLine = maxLine;
  }

  /** The events completed by `chunk`, each its data lines joined with `\n`. */
  push(chunk: Uint8Array): string[] {
    let text = this.#decoder.decode(chunk, { stream: true });
    if (this.#afterCr && text.startsWith("\n")) text = text.slice(1);
    this.#afterCr = false;
    return this.#lines(text);
  }

  /** The events left once the stream ended: a last event is dispatched even without its blank line. */
  end(): string[] {
    const out = this.#lines(this.#decoder.decode());
    if (this.#buffer !== "") this.#line(this.#buffer, out);
    this.#buffer = "";
    this.#dispatch(out);
    return out;
  }

  #lines(text: string): string[] {
    const out: string[] = [];
    // Only the new text is scanned: a long line arriving in many small chunks stays linear.
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== LF && c !== CR) continue;
      this.#line(this.#buffer + text.slice(start, i), out);
      this.#buffer = "";
      if (c === CR) {
        if (i + 1 === text.length) this.#afterCr = true;
        else if (text.charCodeAt(i + 1) === LF) i++;
      }
      start = i + 1;
    }
    if (this.#buffer.length + text.length - start > this.#maxLine) {
      throw new SseFormatError("a line of the stream is too long");
    }
    this.#buffer += text.slice(start);
    return out;
  }

  #line(line: string, out: string[]): void {
    if (line === "") {
      this.#dispatch(out);
      return;
    }
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    if (field !== "data") return;
    const value = colon < 0 ? "" : line.slice(colon + 1);
    this.#data.push(value.startsWith(" ") ? value.slice(1) : value);
  }

  #dispatch(out: string[]): void {
    if (this.#data.length > 0) out.push(this.#data.join("\n"));
    this.#data = [];
  }
}
