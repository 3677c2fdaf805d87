import { describe, expect, test } from "bun:test";
import {
  closeMessage,
  FrameAssemblyError,
  FrameJoiner,
  packFrames,
  readClose,
  splitFrame,
} from "../../../../server/fabric/links/webrtc-frames.ts";

const KiB = 1024;
/** A record's flags and length, before its bytes. */
const HEADER = 5;
const MiB = 1024 * KiB;

/** Multi-byte characters of every width, so a piece boundary lands inside one. */
const TEXT = "héllo wörld — ✓ 日本語 🧵🪡 ".repeat(40);

function bytesOf(length: number, seed = 7): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out[i] = x >>> 16;
  }
  return out;
}

/** What a peer receives when `frames` go, in order, over a channel taking `maxMessage` bytes. */
function carry(frames: Array<string | Uint8Array>, maxMessage: number, maxFrame = 16 * MiB) {
  const joiner = new FrameJoiner(maxFrame);
  const received: Array<string | Uint8Array> = [];
  let messages = 0;
  for (const frame of frames) {
    for (const message of splitFrame(frame, maxMessage)) {
      expect(message.length).toBeLessThanOrEqual(maxMessage);
      messages++;
      received.push(...joiner.push(message));
    }
  }
  return { received, messages };
}

/** One record, as a message of its own: `flags`, the payload's length, the payload. */
function flagged(flags: number, payload: Uint8Array | string = new Uint8Array(0)): Uint8Array {
  const bytes = typeof payload === "string" ? Buffer.from(payload, "utf8") : payload;
  const message = new Uint8Array(HEADER + bytes.length);
  message[0] = flags;
  new DataView(message.buffer).setUint32(1, bytes.length);
  message.set(bytes, HEADER);
  return message;
}

function refusal(push: () => unknown): FrameAssemblyError {
  try {
    push();
  } catch (err) {
    expect(err).toBeInstanceOf(FrameAssemblyError);
    return err as FrameAssemblyError;
  }
  throw new Error("the message was taken");
}

describe("peer frames over a data channel", () => {
  const textBytes = Buffer.byteLength(TEXT, "utf8");
  const binary = bytesOf(5000);

  for (const [name, maxMessage] of [
    ["in 1-byte pieces", HEADER + 1],
    ["in a message of exactly its size", textBytes + HEADER],
    ["in messages one byte short of it", textBytes + HEADER - 1],
    ["in 1 KiB messages", KiB],
  ] as const) {
    test(`a text frame with multi-byte characters arrives unchanged ${name}`, () => {
      const { received } = carry([TEXT], maxMessage);
      expect(received).toEqual([TEXT]);
    });
  }

  test("a frame that fits a message goes as one, and one byte more makes two", () => {
    const size = 100;
    expect(carry([bytesOf(size - HEADER)], size).messages).toBe(1);
    expect(carry([bytesOf(size - HEADER + 1)], size).messages).toBe(2);
    const { received } = carry([bytesOf(size)], size);
    expect(received).toEqual([bytesOf(size)]);
  });

  for (const maxMessage of [HEADER + 1, binary.length + HEADER, binary.length + HEADER - 1, 777]) {
    test(`a binary frame arrives byte for byte in messages of ${maxMessage} bytes`, () => {
      const { received } = carry([binary], maxMessage);
      expect(received).toHaveLength(1);
      expect(received[0]).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(received[0] as Uint8Array).equals(Buffer.from(binary))).toBe(true);
    });
  }

  test("a 3 MiB frame crosses in 64 KiB messages and joins back whole", () => {
    const big = bytesOf(3 * MiB, 3);
    const { received, messages } = carry([big], 64 * KiB);
    expect(messages).toBe(Math.ceil(big.length / (64 * KiB - HEADER)));
    expect(received).toHaveLength(1);
    expect(Buffer.from(received[0] as Uint8Array).equals(Buffer.from(big))).toBe(true);
  });

  test("frames sent one after another arrive in the order sent, each its own kind", () => {
    const frames = [TEXT, binary, "short", bytesOf(3, 9), TEXT.slice(0, 7), "", new Uint8Array(0)];
    for (const maxMessage of [HEADER + 1, 64, 4 * KiB]) {
      const { received } = carry(frames, maxMessage);
      expect(received.map((f) => typeof f)).toEqual(frames.map((f) => typeof f));
      expect(received.map((f) => (typeof f === "string" ? f : Buffer.from(f).toString("hex")))).toEqual(
        frames.map((f) => (typeof f === "string" ? f : Buffer.from(f).toString("hex"))),
      );
    }
  });

  test("an empty text frame and an empty binary frame each cross as one message", () => {
    expect(splitFrame("", 64)).toHaveLength(1);
    expect(splitFrame(new Uint8Array(0), 64)).toHaveLength(1);
    const { received } = carry(["", new Uint8Array(0)], 64);
    expect(received[0]).toBe("");
    expect(received[1]).toBeInstanceOf(Uint8Array);
    expect((received[1] as Uint8Array).length).toBe(0);
  });

  test("a frame handed over does not change when the channel reuses its buffer", () => {
    for (const frame of [bytesOf(10), "ten chars!"]) {
      const joiner = new FrameJoiner(100);
      const [message] = splitFrame(frame, 64) as [Uint8Array];
      const got = joiner.push(message);
      message.fill(0x41, HEADER);
      expect(got).toEqual([frame]);
    }
  });

  test("a frame of exactly the largest size is taken, one byte more is refused", () => {
    expect(carry([bytesOf(1000)], 64, 1000).received).toHaveLength(1);
    const joiner = new FrameJoiner(1000);
    const pieces = splitFrame(bytesOf(1001), 64);
    for (const piece of pieces.slice(0, -1)) expect(joiner.push(piece)).toEqual([]);
    const err = refusal(() => joiner.push(pieces.at(-1) as Uint8Array));
    expect(err.message).toContain("larger than 1000 bytes");
  });

  test("a frame past the largest size is refused as its pieces arrive, before it is whole", () => {
    const joiner = new FrameJoiner(1000);
    const pieces = splitFrame(bytesOf(10_000), 100 + HEADER);
    let taken = 0;
    const err = refusal(() => {
      for (const piece of pieces) {
        joiner.push(piece);
        taken++;
      }
    });
    expect(err.message).toContain("larger");
    // Ten pieces of 100 bytes reach the limit; the eleventh passes it.
    expect(taken).toBe(10);
  });

  test("messages that are not a piece of a frame are refused", () => {
    const joiner = new FrameJoiner(1000);
    expect(refusal(() => joiner.push(new Uint8Array(0))).message).toContain("empty");
    for (const flags of [0x04, 0x08, 0x10, 0x80, 0xff]) {
      expect(refusal(() => joiner.push(flagged(flags, "x"))).message).toContain("unknown frame flags");
    }
  });

  test("a frame whose pieces disagree on being text is refused", () => {
    const textThenBinary = new FrameJoiner(1000);
    textThenBinary.push(flagged(0x01 | 0x02, "ab"));
    expect(refusal(() => textThenBinary.push(flagged(0x00, "cd"))).message).toContain("disagree");
    const binaryThenText = new FrameJoiner(1000);
    binaryThenText.push(flagged(0x02, "ab"));
    expect(refusal(() => binaryThenText.push(flagged(0x01, "cd"))).message).toContain("disagree");
  });
});

describe("a joiner after a refused message", () => {
  test("after an oversized frame is refused, the next frame that fits is taken whole", () => {
    const joiner = new FrameJoiner(10);
    const [a, b] = splitFrame(new Uint8Array(20), HEADER + 6) as [Uint8Array, Uint8Array];
    expect(joiner.push(a)).toEqual([]);
    expect(() => joiner.push(b)).toThrow(FrameAssemblyError);
    expect(joiner.push(splitFrame("ok", 64)[0] as Uint8Array)).toEqual(["ok"]);
  });

  test("after a piece of the wrong kind is refused, the next frame carries none of the old pieces", () => {
    const joiner = new FrameJoiner(1000);
    const [first] = splitFrame("abcdef", HEADER + 3) as [Uint8Array];
    expect(joiner.push(first)).toEqual([]);
    expect(() => joiner.push(splitFrame(new Uint8Array([1]), 64)[0] as Uint8Array)).toThrow(
      FrameAssemblyError,
    );
    expect(joiner.push(splitFrame("ok", 64)[0] as Uint8Array)).toEqual(["ok"]);
  });
});

describe("frames sent together", () => {
  test("small frames share one message and come out of it together, in order", () => {
    const frames = ["one", bytesOf(100), "two", "", bytesOf(0)];
    const messages = packFrames(frames, 64 * KiB);
    expect(messages).toHaveLength(1);
    expect(new FrameJoiner(KiB).push(messages[0] as Uint8Array)).toEqual(frames);
  });

  test("a thousand 1 KiB frames take a handful of messages, none over the size", () => {
    const frames = Array.from({ length: 1000 }, (_, i) => bytesOf(KiB, i + 1));
    const messages = packFrames(frames, 64 * KiB);
    expect(messages.length).toBeLessThanOrEqual(17);
    for (const m of messages) expect(m.length).toBeLessThanOrEqual(64 * KiB);
    const joiner = new FrameJoiner(16 * MiB);
    expect(messages.flatMap((m) => joiner.push(m))).toEqual(frames);
  });

  test("a large frame among small ones spans messages and the small ones keep their places", () => {
    const frames = ["before", bytesOf(200 * KiB), "after"];
    const joiner = new FrameJoiner(16 * MiB);
    expect(packFrames(frames, 64 * KiB).flatMap((m) => joiner.push(m))).toEqual(frames);
  });

  test("a record longer than its message, or cut in its header, is refused", () => {
    const long = flagged(0x00, "abc");
    new DataView(long.buffer).setUint32(1, 4);
    expect(refusal(() => new FrameJoiner(KiB).push(long)).message).toContain("longer than its message");
    const cut = new Uint8Array([...flagged(0x00, "ab"), 0x00, 0x00]);
    expect(refusal(() => new FrameJoiner(KiB).push(cut)).message).toContain("cut short");
  });

  test("a message too small for a record is refused before anything is packed", () => {
    expect(() => packFrames(["x"], HEADER)).toThrow(RangeError);
  });
});

describe("a link's close over a data channel", () => {
  test("the code and reason sent are the code and reason read", () => {
    expect(readClose(closeMessage(4000, "done"))).toEqual({ code: 4000, reason: "done" });
    expect(readClose(closeMessage(1000, ""))).toEqual({ code: 1000, reason: "" });
    expect(readClose(closeMessage(4999, "ünïcødé ✓ reason"))).toEqual({
      code: 4999,
      reason: "ünïcødé ✓ reason",
    });
  });

  test("a long reason is cut to 120 characters", () => {
    const reason = `${"why ".repeat(100)}end`;
    expect(readClose(closeMessage(4000, reason))).toEqual({ code: 4000, reason: reason.slice(0, 120) });
  });

  test("a long reason is cut by characters, never in the middle of one", () => {
    const reason = `a${"🧵".repeat(200)}`;
    const read = readClose(closeMessage(4000, reason));
    expect(Array.from(read?.reason ?? "")).toHaveLength(120);
    expect(read?.reason).toBe(`a${"🧵".repeat(119)}`);
  });

  test("a close whose code is not a close code reads as going away", () => {
    for (const code of [0, 999, 5000, 12345, -4000]) {
      expect(readClose(closeMessage(code, "x"))).toEqual({ code: 1001, reason: "" });
    }
    expect(readClose(flagged(0x04))).toEqual({ code: 1001, reason: "" });
    expect(readClose(flagged(0x04, "soon done"))).toEqual({ code: 1001, reason: "" });
    expect(readClose(flagged(0x04, "4000"))).toEqual({ code: 4000, reason: "" });
  });

  test("no piece of a frame reads as a close, even one that spells a close inside", () => {
    const frames = ["4000 done", Buffer.from("\u00044000 done"), TEXT, bytesOf(300), ""];
    for (const frame of frames) {
      for (const message of splitFrame(frame, 8)) expect(readClose(message)).toBeUndefined();
    }
    expect(readClose(new Uint8Array(0))).toBeUndefined();
  });

  test("a close is not taken as a piece of a frame", () => {
    expect(() => new FrameJoiner(1000).push(closeMessage(4000, "done"))).toThrow(FrameAssemblyError);
  });
});
