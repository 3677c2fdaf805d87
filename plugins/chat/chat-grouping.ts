import { dayKey, formatDay } from "./chat-time.ts";

/** Messages from one side closer together than this form one run of bubbles. */
export const RUN_GAP_MS = 5 * 60_000;

interface Groupable {
  key: string;
  ts: number;
  direction: "in" | "out";
}

export type ChatItem<T extends Groupable> =
  | { kind: "day"; key: string; label: string }
  | { kind: "unread"; key: string }
  | {
      kind: "message";
      key: string;
      message: T;
      /** First of a run: the bubble gets its full top corner and the gap above it. */
      runStart: boolean;
      /** Last of a run: it shows the time and status. */
      runEnd: boolean;
    };

/**
 * The message list's rows: a separator before each new local day, a "new messages" divider before
 * `unreadFrom`, and each message with where it sits in its run (consecutive messages from the
 * same side within `RUN_GAP_MS`, on the same day, not split by the divider).
 */
export function groupMessages<T extends Groupable>(
  messages: readonly T[],
  now: number,
  unreadFrom: string | null = null,
  locale?: string,
): ChatItem<T>[] {
  const items: ChatItem<T>[] = [];
  let previous: T | undefined;
  let lastMessageAt = -1;
  for (const message of messages) {
    const day = dayKey(message.ts);
    const newDay = !previous || dayKey(previous.ts) !== day;
    if (newDay) items.push({ kind: "day", key: `day:${day}`, label: formatDay(message.ts, now, locale) });
    const divider = message.key === unreadFrom;
    if (divider) items.push({ kind: "unread", key: "unread" });
    const runStart =
      !previous ||
      newDay ||
      divider ||
      previous.direction !== message.direction ||
      message.ts - previous.ts > RUN_GAP_MS;
    if (runStart && lastMessageAt !== -1) {
      const before = items[lastMessageAt];
      if (before?.kind === "message") before.runEnd = true;
    }
    lastMessageAt = items.length;
    items.push({ kind: "message", key: message.key, message, runStart, runEnd: false });
    previous = message;
  }
  const last = items[lastMessageAt];
  if (last?.kind === "message") last.runEnd = true;
  return items;
}
