import { z } from "zod";

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
