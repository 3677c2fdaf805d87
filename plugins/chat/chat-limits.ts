import { formatCount, formatSize } from "../sdk/index.ts";

/**
 * The composer's checks, mirroring the node's: a message is non-empty text of at most 16 KiB of
 * UTF-8. The node decides; when its limit differs, its refusal is what the user sees.
 */
export const MAX_TEXT_BYTES = 16 * 1024;
/** The node's setting for its limit; the composer follows it when the node says. */
export const LIMIT_SETTING = "chat.maxMessageBytes";

/** The limit in a settings map, or null when the map does not hold a usable one. */
export function readLimit(values: unknown): number | null {
  if (typeof values !== "object" || values === null) return null;
  const limit = (values as Record<string, unknown>)[LIMIT_SETTING];
  return typeof limit === "number" && Number.isInteger(limit) && limit > 0 ? limit : null;
}

/** The byte counter appears from this share of the limit on, so it is not noise while typing. */
export const COUNTER_FROM = 0.8;

const encoder = new TextEncoder();

export function utf8Length(text: string): number {
  return encoder.encode(text).length;
}

/**
 * What is sent for a draft: blank lines at the start and whitespace at the end are dropped,
 * leading spaces on the first line are kept (they may be indentation).
 */
export function normalizeDraft(text: string): string {
  return text.replace(/^(?:[ \t]*\r?\n)+/, "").trimEnd();
}

export type DraftCheck =
  | { ok: true; text: string; bytes: number }
  | { ok: false; error: string; bytes: number };

export function checkDraft(draft: string, limit = MAX_TEXT_BYTES): DraftCheck {
  const text = normalizeDraft(draft);
  const bytes = utf8Length(text);
  if (text === "") return { ok: false, error: "Type a message first.", bytes };
  if (bytes > limit) {
    return {
      ok: false,
      error: `Too long to send: ${formatSize(bytes)} of text, the limit is ${formatSize(limit)}.`,
      bytes,
    };
  }
  return { ok: true, text, bytes };
}

/** The counter's text ("14,203 / 16,384 bytes"), or null while the draft is well under the limit. */
export function byteCounter(bytes: number, limit = MAX_TEXT_BYTES): string | null {
  if (bytes < limit * COUNTER_FROM) return null;
  return `${formatCount(bytes)} / ${formatCount(limit)} bytes`;
}
