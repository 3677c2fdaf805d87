import { INITIAL_TTL } from "./peer.ts";
import { PROTOCOL_VERSION } from "./version.ts";

/**
 * The binary form of a sealed frame. A session uses it when both hellos list `SEALED_BINARY` in
 * their capabilities and the link carries binary messages; otherwise it seals in the JSON form of
 * `sealedEnvelope` (protocol/peer.ts). Same session keys, same counter nonce, same AES-256-GCM:
 * only the header is fixed-width bytes instead of JSON and the box raw bytes instead of base64,
 * which spares both ends a JSON text, a base64 copy and a schema walk per frame. Big-endian:
 *
 * | bytes   | field    |                                                                   |
 * |---------|----------|-------------------------------------------------------------------|
 * | 0       | kind     | `0x01`; JSON text never starts with it                            |
 * | 1       | ttl      | hop budget, 0 … 8 (outside the associated data, as in JSON)       |
 * | 2–17    | dst      | the receiver's node id, ASCII (outside it too, for relays)        |
 * | 18      | v        | `PROTOCOL_VERSION`: the associated data starts here               |
 * | 19      | flags    | bit 0: `re` follows; the other bits are 0                         |
 * | 20–27   | n        | counter, 1 … 2^53 − 1                                             |
 * | 28–35   | ts       | ms since the epoch, ≤ 2^53 − 1                                    |
 * | 36–51   | msg_id   | 128 bits (lowercase hex in the JSON form)                         |
 * | 52–67   | src      | the sender's node id, ASCII                                       |
 * | 68–83   | re       | 128 bits, only with flag bit 0                                    |
 * | next    | type len | 1 … 32                                                            |
 * | next    | type     | printable ASCII: the associated data ends here                    |
 * | rest    | box      | ciphertext of the JSON of `data`, then the 16-byte GCM tag        |
 */

/** The capability a node lists in its hello when it reads and writes the binary form. */
export const SEALED_BINARY = "sealed-binary";
/** First byte of a binary sealed frame. */
export const SEALED_BINARY_KIND = 0x01;
/** Where the associated data starts: everything after kind, ttl and dst. */
export const AAD_START = 18;
const RE_FLAG = 0x01;
const ID_BYTES = 16;
/** The smallest box: the tag and two bytes of JSON (`{}`), as the JSON form's 24 base64 chars. */
const MIN_BOX_BYTES = 18;
/** Where the fixed part of the header ends: `re` (when flagged) and the type follow. */
const FIXED_END = 68;
const MAX_TYPE_BYTES = 32;

/** The header of a binary sealed frame, as the JSON form's fields, and where its box starts. */
export interface BinaryHeader {
  v: typeof PROTOCOL_VERSION;
  type: string;
  msg_id: string;
  re?: string;
  src: string;
  dst: string;
  ts: number;
  ttl: number;
  n: number;
  /** Offset of the box; the associated data is bytes `AAD_START` up to here. */
  boxStart: number;
}

/** A frame that is not a well-formed binary sealed frame; `message` says what is wrong. */
export class BinaryFrameError extends Error {
  override readonly name = "BinaryFrameError";
}

/** Two hex digits per byte value: one lookup per byte rather than two digits and a concatenation. */
const HEX_PAIRS = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));
const isNodeIdByte = (c: number) => (c >= 0x61 && c <= 0x7a) || (c >= 0x32 && c <= 0x37); // a-z, 2-7

function readNodeId(frame: Uint8Array, at: number, what: string): string {
  let id = "";
  for (let i = at; i < at + ID_BYTES; i++) {
    const c = frame[i] ?? 0;
    if (!isNodeIdByte(c)) throw new BinaryFrameError(`${what} is not a node id`);
    id += String.fromCharCode(c);
  }
  return id;
}

function readHex(frame: Uint8Array, at: number): string {
  let hex = "";
  for (let i = at; i < at + ID_BYTES; i++) hex += HEX_PAIRS[frame[i] ?? 0];
  return hex;
}

/**
 * A big-endian u32 from bytes. Read by hand: a DataView over a socket's byte array makes the engine
 * materialise its ArrayBuffer, which costs more per frame than the whole header.
 */
const u32 = (frame: Uint8Array, at: number) =>
  (((frame[at] ?? 0) << 24) |
    ((frame[at + 1] ?? 0) << 16) |
    ((frame[at + 2] ?? 0) << 8) |
    (frame[at + 3] ?? 0)) >>>
  0;

/** A u64 that must fit a safe integer; the high word carries at most 21 bits. */
function readSafeU64(frame: Uint8Array, at: number, what: string): number {
  const high = u32(frame, at);
  if (high > 0x1f_ffff) throw new BinaryFrameError(`${what} is past 2^53 - 1`);
  return high * 0x1_0000_0000 + u32(frame, at + 4);
}

/**
 * Reads and checks the header of a binary sealed frame: every field to the same bounds as the
 * JSON form's schema. Throws `BinaryFrameError`; never returns a partial header.
 */
export function readBinaryHeader(frame: Uint8Array): BinaryHeader {
  // The shortest frame: the fixed part, a type of one byte with its length, the smallest box.
  if (frame.length < FIXED_END + 2 + MIN_BOX_BYTES) throw new BinaryFrameError("frame too short");
  if (frame[0] !== SEALED_BINARY_KIND) throw new BinaryFrameError("not a binary sealed frame");
  const ttl = frame[1] ?? 0;
  if (ttl > INITIAL_TTL) throw new BinaryFrameError(`ttl above ${INITIAL_TTL}`);
  const dst = readNodeId(frame, 2, "dst");
  const v = frame[18];
  if (v !== PROTOCOL_VERSION) throw new BinaryFrameError(`protocol version ${v}, not ${PROTOCOL_VERSION}`);
  const flags = frame[19] ?? 0;
  if ((flags & ~RE_FLAG) !== 0) throw new BinaryFrameError("unknown flags");
  const n = readSafeU64(frame, 20, "n");
  if (n < 1) throw new BinaryFrameError("n must be at least 1");
  const ts = readSafeU64(frame, 28, "ts");
  const msg_id = readHex(frame, 36);
  const src = readNodeId(frame, 52, "src");
  let at = FIXED_END;
  let re: string | undefined;
  if (flags & RE_FLAG) {
    re = readHex(frame, at);
    at += ID_BYTES;
  }
  const typeLength = frame[at] ?? 0;
  if (typeLength < 1 || typeLength > MAX_TYPE_BYTES) throw new BinaryFrameError("type length out of range");
  at += 1;
  let type = "";
  for (let i = at; i < at + typeLength; i++) {
    const c = frame[i] ?? 0;
    if (c < 0x21 || c > 0x7e) throw new BinaryFrameError("type is not printable ASCII");
    type += String.fromCharCode(c);
  }
  const boxStart = at + typeLength;
  if (frame.length - boxStart < MIN_BOX_BYTES) throw new BinaryFrameError("box too short");
  const header: BinaryHeader = { v: PROTOCOL_VERSION, type, msg_id, src, dst, ts, ttl, n, boxStart };
  if (re !== undefined) header.re = re;
  return header;
}

/** The header fields the sender fills in; `boxStart` follows from them. */
export type BinaryHeaderFields = Omit<BinaryHeader, "boxStart" | "dst"> & { dst?: string };

/** Writes `text` byte per char, refusing a char `allowed` refuses (so no regex per frame). */
function writeAscii(
  out: Uint8Array,
  at: number,
  text: string,
  allowed: (c: number) => boolean,
  what: string,
): void {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!allowed(c)) throw new BinaryFrameError(`${what} holds a character the binary form cannot carry`);
    out[at + i] = c;
  }
}

const isPrintable = (c: number) => c >= 0x21 && c <= 0x7e;

/** 0-15 for a lowercase hex digit's char code, else -1. */
const nibble = (c: number) => (c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1);

function writeHex(out: Uint8Array, at: number, hex: string, what: string): void {
  if (hex.length !== 2 * ID_BYTES) throw new BinaryFrameError(`${what} is not 128-bit lowercase hex`);
  for (let i = 0; i < ID_BYTES; i++) {
    const high = nibble(hex.charCodeAt(2 * i));
    const low = nibble(hex.charCodeAt(2 * i + 1));
    if (high < 0 || low < 0) throw new BinaryFrameError(`${what} is not 128-bit lowercase hex`);
    out[at + i] = (high << 4) | low;
  }
}

function writeU32(out: Uint8Array, at: number, value: number): void {
  out[at] = value >>> 24;
  out[at + 1] = (value >>> 16) & 0xff;
  out[at + 2] = (value >>> 8) & 0xff;
  out[at + 3] = value & 0xff;
}

function writeSafeU64(out: Uint8Array, at: number, value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new BinaryFrameError(`${what} is not a safe integer`);
  writeU32(out, at, Math.floor(value / 0x1_0000_0000));
  writeU32(out, at + 4, value % 0x1_0000_0000);
}

/** Bytes the header of `h` takes; the box starts there. */
export function binaryHeaderLength(h: Pick<BinaryHeaderFields, "re" | "type">): number {
  return FIXED_END + (h.re === undefined ? 0 : ID_BYTES) + 1 + h.type.length;
}

/**
 * Writes the header of a binary sealed frame at the start of `out` (at least
 * `binaryHeaderLength(h)` bytes); the box goes after it. Throws `BinaryFrameError` for a field the
 * form cannot carry.
 */
export function writeBinaryHeader(h: BinaryHeaderFields, out: Uint8Array): void {
  const dst = h.dst ?? "";
  if (dst.length !== ID_BYTES) throw new BinaryFrameError("the binary form needs a dst node id");
  if (h.src.length !== ID_BYTES) throw new BinaryFrameError("src is not a node id");
  if (h.type.length < 1 || h.type.length > MAX_TYPE_BYTES)
    throw new BinaryFrameError("type must be 1-32 chars");
  if (h.v !== PROTOCOL_VERSION) throw new BinaryFrameError(`protocol version must be ${PROTOCOL_VERSION}`);
  if (!Number.isInteger(h.ttl) || h.ttl < 0 || h.ttl > INITIAL_TTL)
    throw new BinaryFrameError("ttl out of range");
  if (h.n < 1) throw new BinaryFrameError("n must be at least 1");
  if (out.length < binaryHeaderLength(h)) throw new BinaryFrameError("no room for the header");
  out[0] = SEALED_BINARY_KIND;
  out[1] = h.ttl;
  writeAscii(out, 2, dst, isNodeIdByte, "dst");
  out[18] = h.v;
  out[19] = h.re === undefined ? 0 : RE_FLAG;
  writeSafeU64(out, 20, h.n, "n");
  writeSafeU64(out, 28, h.ts, "ts");
  writeHex(out, 36, h.msg_id, "msg_id");
  writeAscii(out, 52, h.src, isNodeIdByte, "src");
  let at = FIXED_END;
  if (h.re !== undefined) {
    writeHex(out, at, h.re, "re");
    at += ID_BYTES;
  }
  out[at] = h.type.length;
  writeAscii(out, at + 1, h.type, isPrintable, "type");
}
