import { describe, expect, test } from "bun:test";
import { type ChatItem, groupMessages, RUN_GAP_MS } from "../../../plugins/chat/chat-grouping.ts";

const now = new Date(2025, 2, 12, 15, 0).getTime();
const yesterday = new Date(2025, 2, 11, 18, 0).getTime();

interface Row {
  key: string;
  ts: number;
  direction: "in" | "out";
}
const row = (key: string, ts: number, direction: "in" | "out"): Row => ({ key, ts, direction });

/** A compact picture of the rows: "day:Today", "[a", "b]", "[c]" (run start and end marks). */
function shape(items: ChatItem<Row>[]): string[] {
  return items.map((item) => {
    if (item.kind === "day") return `day:${item.label}`;
    if (item.kind === "unread") return "new";
    return `${item.runStart ? "[" : ""}${item.key}${item.runEnd ? "]" : ""}`;
  });
}

describe("grouping messages", () => {
  test("a separator starts each local day", () => {
    const items = groupMessages([row("a", yesterday, "in"), row("b", now - 60_000, "in")], now);
    expect(shape(items)).toEqual(["day:Yesterday", "[a]", "day:Today", "[b]"]);
  });

  test("messages from one side close together form one run", () => {
    const t = now - 30 * 60_000;
    const items = groupMessages(
      [row("a", t, "in"), row("b", t + 1000, "in"), row("c", t + 2000, "out"), row("d", t + 3000, "out")],
      now,
    );
    expect(shape(items)).toEqual(["day:Today", "[a", "b]", "[c", "d]"]);
  });

  test("a long pause starts a new run from the same side", () => {
    const t = now - 60 * 60_000;
    const items = groupMessages([row("a", t, "in"), row("b", t + RUN_GAP_MS + 1, "in")], now);
    expect(shape(items)).toEqual(["day:Today", "[a]", "[b]"]);
  });

  test("the new-messages divider goes before the first unread one and splits its run", () => {
    const t = now - 10 * 60_000;
    const items = groupMessages(
      [row("a", t, "in"), row("b", t + 1000, "in"), row("c", t + 2000, "in")],
      now,
      "b",
    );
    expect(shape(items)).toEqual(["day:Today", "[a]", "new", "[b", "c]"]);
  });

  test("nothing to show gives no rows", () => {
    expect(groupMessages([], now)).toEqual([]);
  });
});
