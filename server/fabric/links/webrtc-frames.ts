/**
 * Peer frames over an RTCDataChannel. A data channel message has a size limit (libdatachannel's is
 * 256 KiB) while a peer frame may be up to `network.maxFrameBytes` (16 MiB at most), and each
 * message costs the native library far more than its bytes do, so frames travel as *records*
 * packed into messages: a record is one byte of flags, four bytes of length (big-endian) and that
 * many bytes of a frame. Small frames sent together share a message; a large one spans several
 * records, in several messages. `TEXT` says the frame is text, `MORE` that it goes on in the next
 * record. A data channel closes without a reason, so the link's close code and reason go first as
 * a message of one `CLOSE` record.
 */

const TEXT = 0x01;
const MORE = 0x02;
/** Not a frame: the link's close, `<code> <reason>`, sent before the channel goes. */
const CLOSE = 0x04;
const HEADER = 5;
/** A frame is not split to fill a message's last few bytes: it starts the next message instead. */
const MIN_PIECE = 256;

function record(flags: number, bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER + bytes.length);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, bytes.length);
  out.set(bytes, HEADER);
  return out;
}

/**
 * Packs `frames`, in order, into data channel messages of at most `maxMessage` bytes each (which
 * must leave room for a record's header and a few bytes).
 */
export function packFrames(frames: ReadonlyArray<string | Uint8Array>, maxMessage: number): Uint8Array[] {
  if (maxMessage <= HEADER) throw new RangeError(`a message of ${maxMessage} bytes holds no record`);
  const messages: Uint8Array[] = [];
  let parts: Uint8Array[] = [];
  let size = 0;
  const flush = () => {
    if (parts.length === 0) return;
    messages.push(parts.length === 1 ? (parts[0] as Uint8Array) : Buffer.concat(parts));
    parts = [];
    size = 0;
  };
  for (const frame of frames) {
    const bytes = typeof frame === "string" ? Buffer.from(frame, "utf8") : frame;
    const kind = typeof frame === "string" ? TEXT : 0;
    let at = 0;
    do {
      let room = maxMessage - size - HEADER;
      if (room < Math.min(MIN_PIECE, bytes.length - at) || room < 1) {
        flush();
        room = maxMessage - HEADER;
      }
      const end = Math.min(bytes.length, at + room);
      const part = record(kind | (end < bytes.length ? MORE : 0), bytes.subarray(at, end));
      parts.push(part);
      size += part.length;
      at = end;
    } while (at < bytes.length);
  }
  flush();
  return messages;
}

/** One frame alone, as `packFrames` sends it. */
export function splitFrame(frame: string | Uint8Array, maxMessage: number): Uint8Array[] {
  return packFrames([frame], maxMessage);
}

/** The message that tells the other end why the link closes. */
export function closeMessage(code: number, reason: string): Uint8Array {
  // Cut by characters, not UTF-16 units, so a reason never ends in half an emoji.
  return record(CLOSE, Buffer.from(`${code} ${Array.from(reason).slice(0, 120).join("")}`, "utf8"));
}

/** The code and reason of a `closeMessage`, or undefined for any other message. */
export function readClose(message: Uint8Array): { code: number; reason: string } | undefined {
  if (message[0] !== CLOSE || message.length < HEADER) return undefined;
  const length = new DataView(message.buffer, message.byteOffset, message.byteLength).getUint32(1);
  if (length !== message.length - HEADER) return undefined;
  const m = /^(\d{4})(?: ([\s\S]*))?$/.exec(Buffer.from(message.subarray(HEADER)).toString("utf8"));
  const code = m ? Number(m[1]) : Number.NaN;
  return code >= 1000 && code <= 4999 ? { code, reason: m?.[2] ?? "" } : { code: 1001, reason: "" };
}

/** A message that cannot be part of a frame, or a frame past the size allowed. */
export class FrameAssemblyError extends Error {
  override readonly name = "FrameAssemblyError";
}

/** Joins the records of `packFrames` back into frames, refusing one larger than `maxFrame` bytes. */
export class FrameJoiner {
  readonly #maxFrame: number;
  #pieces: Uint8Array[] = [];
  #size = 0;
  #kind: number | undefined;

  constructor(maxFrame: number) {
    this.#maxFrame = maxFrame;
  }

  /**
   * Takes one message; returns the frames it completes, in order (often none, often several).
   * Throws `FrameAssemblyError`, and then holds nothing of the refused frame: the next message
   * starts a frame afresh.
   */
  push(message: Uint8Array): Array<string | Uint8Array> {
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

  #push(message: Uint8Array): Array<string | Uint8Array> {
    if (message.length === 0) throw new FrameAssemblyError("an empty data channel message");
    const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
    const out: Array<string | Uint8Array> = [];
    let at = 0;
    while (at < message.length) {
      if (message.length - at < HEADER) throw new FrameAssemblyError("a record cut short in its header");
      const flags = message[at] as number;
      const length = view.getUint32(at + 1);
      if ((flags & ~(TEXT | MORE)) !== 0) throw new FrameAssemblyError(`unknown frame flags ${flags}`);
      if (length > message.length - at - HEADER)
        throw new FrameAssemblyError("a record longer than its message");
      const kind = flags & TEXT;
      if (this.#kind !== undefined && kind !== this.#kind) {
        throw new FrameAssemblyError("a frame's pieces disagree on whether it is text");
      }
      this.#kind = kind;
      this.#size += length;
      if (this.#size > this.#maxFrame)
        throw new FrameAssemblyError(`a frame larger than ${this.#maxFrame} bytes`);
      this.#pieces.push(message.subarray(at + HEADER, at + HEADER + length));
      at += HEADER + length;
      if (flags & MORE) continue;
      const bytes = this.#pieces.length === 1 ? (this.#pieces[0] as Uint8Array) : Buffer.concat(this.#pieces);
      this.#reset();
      // A copy: the add-on's buffer is not ours to keep.
      out.push(kind === TEXT ? Buffer.from(bytes).toString("utf8") : new Uint8Array(bytes));
    }
    return out;
  }
}
