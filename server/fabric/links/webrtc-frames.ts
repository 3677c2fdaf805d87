/**
 * Peer frames over an RTCDataChannel: a data channel message has a size limit (libdatachannel's
 * is 256 KiB) while a peer frame may be up to `network.maxFrameBytes` (16 MiB at most), so each
 * frame goes as one or more binary messages. The first byte of each says whether the frame is text
 * (`TEXT`) and whether more of it follows (`MORE`); the rest is the next piece of its bytes. A
 * data channel closes without a reason, so a link's close code and reason go first as a message
 * of their own (`CLOSE`).
 */

const TEXT = 0x01;
const MORE = 0x02;
/** Not a frame: the link's close, `<code> <reason>`, sent before the channel goes. */
const CLOSE = 0x04;

/** Splits `frame` into data channel messages of at most `maxMessage` bytes each. */
export function splitFrame(frame: string | Uint8Array, maxMessage: number): Uint8Array[] {
  const bytes = typeof frame === "string" ? Buffer.from(frame, "utf8") : frame;
  const kind = typeof frame === "string" ? TEXT : 0;
  const piece = Math.max(1, maxMessage - 1);
  const out: Uint8Array[] = [];
  let at = 0;
  do {
    const end = Math.min(bytes.length, at + piece);
    const message = new Uint8Array(1 + end - at);
    message[0] = kind | (end < bytes.length ? MORE : 0);
    message.set(bytes.subarray(at, end), 1);
    out.push(message);
    at = end;
  } while (at < bytes.length);
  return out;
}

/** The message that tells the other end why the link closes. */
export function closeMessage(code: number, reason: string): Uint8Array {
  // Cut by characters, not UTF-16 units, so a reason never ends in half an emoji.
  const text = Buffer.from(`${code} ${Array.from(reason).slice(0, 120).join("")}`, "utf8");
  const message = new Uint8Array(1 + text.length);
  message[0] = CLOSE;
  message.set(text, 1);
  return message;
}

/** The code and reason of a `closeMessage`, or undefined for any other message. */
export function readClose(message: Uint8Array): { code: number; reason: string } | undefined {
  if (message[0] !== CLOSE) return undefined;
  const m = /^(\d{4})(?: ([\s\S]*))?$/.exec(Buffer.from(message.subarray(1)).toString("utf8"));
  const code = m ? Number(m[1]) : Number.NaN;
  return code >= 1000 && code <= 4999 ? { code, reason: m?.[2] ?? "" } : { code: 1001, reason: "" };
}

/** A message that cannot be part of a frame, or a frame past the size allowed. */
export class FrameAssemblyError extends Error {
  override readonly name = "FrameAssemblyError";
}

/** Joins the messages of `splitFrame` back into frames, refusing one larger than `maxFrame` bytes. */
export class FrameJoiner {
  readonly #maxFrame: number;
  #pieces: Uint8Array[] = [];
  #size = 0;
  #kind: number | undefined;

  constructor(maxFrame: number) {
    this.#maxFrame = maxFrame;
  }

  /**
   * Takes one message; returns the frame it completes, if any. Throws `FrameAssemblyError`, and
   * then holds nothing of the refused frame: the next message starts a frame afresh.
   */
  push(message: Uint8Array): string | Uint8Array | undefined {
    try {
      return this.#push(message);
    } catch (err) {
      this.#reset();
      throw err;
    }
  }

  #reset(): void {
    this.#pieces = [];
    this.#size = 0;
    this.#kind = undefined;
  }

  #push(message: Uint8Array): string | Uint8Array | undefined {
    if (message.length === 0) throw new FrameAssemblyError("an empty data channel message");
    const flags = message[0] as number;
    if ((flags & ~(TEXT | MORE)) !== 0) throw new FrameAssemblyError(`unknown frame flags ${flags}`);
    const kind = flags & TEXT;
    if (this.#kind !== undefined && kind !== this.#kind) {
      throw new FrameAssemblyError("a frame's pieces disagree on whether it is text");
    }
    this.#kind = kind;
    this.#size += message.length - 1;
    if (this.#size > this.#maxFrame)
      throw new FrameAssemblyError(`a frame larger than ${this.#maxFrame} bytes`);
    this.#pieces.push(message.subarray(1));
    if (flags & MORE) return undefined;
    const bytes = this.#pieces.length === 1 ? (this.#pieces[0] as Uint8Array) : Buffer.concat(this.#pieces);
    this.#reset();
    // A copy: the add-on's buffer is not ours to keep.
    return kind === TEXT ? Buffer.from(bytes).toString("utf8") : new Uint8Array(bytes);
  }
}
