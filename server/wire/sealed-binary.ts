import { createCipheriv, createDecipheriv } from "node:crypto";
import {
  AAD_START,
  type BinaryHeader,
  type BinaryHeaderFields,
  binaryHeaderLength,
  writeBinaryHeader,
} from "../../protocol/peer-binary.ts";
import { nonceOf } from "./envelope-crypto.ts";

const TAG_BYTES = 16;

/**
 * Seals `data` in the binary form (protocol/peer-binary.ts): the header's bytes from `AAD_START`
 * on are the associated data, the counter `n` gives the nonce, exactly as in the JSON form.
 */
export function sealBinary(key: Buffer, header: BinaryHeaderFields, data: unknown): Uint8Array {
  const plain = Buffer.from(JSON.stringify(data), "utf8");
  const boxStart = binaryHeaderLength(header);
  // One buffer for the whole frame; GCM's ciphertext is as long as the plaintext.
  const frame = Buffer.allocUnsafe(boxStart + plain.length + TAG_BYTES);
  writeBinaryHeader(header, frame);
  const cipher = createCipheriv("aes-256-gcm", key, nonceOf(header.n));
  cipher.setAAD(frame.subarray(AAD_START, boxStart));
  const body = cipher.update(plain);
  const tail = cipher.final();
  frame.set(body, boxStart);
  frame.set(tail, boxStart + body.length);
  frame.set(cipher.getAuthTag(), boxStart + body.length + tail.length);
  return frame;
}

/**
 * Opens a binary sealed frame whose header `readBinaryHeader` already checked; returns the JSON
 * text of `data`, or undefined for a forgery (a bad tag, or any header byte changed).
 */
export function openBinary(key: Buffer, frame: Uint8Array, header: BinaryHeader): string | undefined {
  const tagStart = frame.length - TAG_BYTES;
  if (tagStart <= header.boxStart) return undefined;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, nonceOf(header.n));
    decipher.setAAD(frame.subarray(AAD_START, header.boxStart));
    decipher.setAuthTag(frame.subarray(tagStart));
    const plain = decipher.update(frame.subarray(header.boxStart, tagStart));
    // final() checks the tag and throws on a forgery; nothing is returned before it passed.
    const tail = decipher.final();
    return (tail.length === 0 ? plain : Buffer.concat([plain, tail])).toString("utf8");
  } catch {
    return undefined;
  }
}
