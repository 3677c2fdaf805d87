import { z } from "zod";

/**
 * The small shapes every wire shares: node ids, message ids and base64. One definition each, so
 * the peer, browser and chat wires cannot drift apart on what an id is.
 */

/** A node id: base32 of the key's sha256, 16 characters (docs/architecture.md, identity). */
export const NODE_ID = /^[a-z2-7]{16}$/;
export const nodeId = z.string().regex(NODE_ID, "must be a 16-character node id");
/** 128 random bits as lowercase hex: message ids, chat message ids. */
export const hexId128 = z.string().regex(/^[0-9a-f]{32}$/, "must be 128-bit lowercase hex");

/**
 * Whether `text` is padded standard base64 (RFC 4648 section 4). `atob` refuses any character
 * outside the alphabet and misplaced padding, but forgives whitespace and missing padding; both
 * shorten what it decodes, so comparing the decoded length with the one the text's length implies
 * catches them. Several times faster than a regular expression over a frame-sized string, and
 * `atob` runs in the browser as well as in Bun, as `protocol/` must.
 */
export function isBase64(text: string): boolean {
  if (text.length % 4 !== 0) return false;
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  try {
    return atob(text).length === (text.length / 4) * 3 - padding;
  } catch {
    return false;
  }
}

/** A string of padded standard base64, at most `maxChars` long (checked first, as it is cheaper). */
export const base64Text = (maxChars = Number.MAX_SAFE_INTEGER) =>
  z.string().max(maxChars).refine(isBase64, "must be standard base64");

/**
 * Standard base64 that decodes to exactly `bytes` bytes (keys, nonces, signatures). Checked by
 * length and padding alone, so it runs in the browser as well.
 */
export const b64Bytes = (bytes: number) => {
  const padding = (3 - (bytes % 3)) % 3;
  return base64Text().refine(
    (s) =>
      s.length === Math.ceil(bytes / 3) * 4 &&
      s.endsWith("=".repeat(padding)) &&
      !s.endsWith("=".repeat(padding + 1)),
    { message: `must be ${bytes} bytes of base64` },
  );
};
