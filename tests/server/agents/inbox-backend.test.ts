import { describe, expect, test } from "bun:test";
import { framedPrompt } from "../../../server/agents/agent-backend.ts";
import { InboxBackend } from "../../../server/agents/inbox-backend.ts";
import { collect, expectReadable, question, until } from "../../helpers/agent-answers.ts";

const inbox = (maxPending?: number) =>
  new InboxBackend({ timeoutMs: () => 10_000, ...(maxPending ? { maxPending } : {}) });

describe("the inbox, as the Agent pane drives it", () => {
  test("a question waits in pending() with who asked, the framed text and when, until it is answered", async () => {
    const box = inbox();
    const q = question("Are you free at three?");
    const before = Date.now();
    const answered = collect(box, q);
    await until(() => box.pending().length === 1, "the question to wait");
    const [waiting] = box.pending();
    expect(waiting).toMatchObject({ ...q, framed: framedPrompt(q) });
    expect(waiting?.askedAt).toBeGreaterThanOrEqual(before);
    expect(box.reply(q.requestId, "Yes, at three.")).toBe(true);
    expect(box.pending()).toEqual([]);
    expect(await answered).toEqual({ deltas: ["Yes, at three."], error: undefined });
  });

  test("the pane hears each arrival and departure, and questions are listed oldest first", async () => {
    const box = inbox();
    let changes = 0;
    const off = box.onChange(() => changes++);
    const [a, b] = [question("first"), question("second")];
    const answers = [collect(box, a), collect(box, b)];
    await until(() => box.pending().length === 2, "both questions to wait");
    expect(box.pending().map((p) => p.prompt)).toEqual(["first", "second"]);
    box.decline(a.requestId);
    box.reply(b.requestId, "ok");
    await Promise.all(answers);
    expect(changes).toBe(4);
    off();
  });

  test("a decline reaches the asker with the person's reason, cut short if long", async () => {
    const box = inbox();
    const q = question();
    const answered = collect(box, q);
    await until(() => box.pending().length === 1, "the question to wait");
    box.decline(q.requestId, `Busy right now.\n${"really ".repeat(100)}`);
    const { error } = await answered;
    expectReadable(error);
    expect(error.code).toBe("declined");
    expect(error.message).toStartWith("the person here declined to answer: Busy right now. really");
    expect(error.message.length).toBeLessThan(400);
  });

  test("replying to a question that is not waiting (unknown, answered or cancelled) does nothing", async () => {
    const box = inbox();
    expect(box.reply("nope", "x")).toBe(false);
    expect(box.write("nope", "x")).toBe(false);
    expect(box.decline("nope")).toBe(false);
    const q = question();
    const abort = new AbortController();
    const answered = collect(box, q, abort.signal);
    await until(() => box.pending().length === 1, "the question to wait");
    abort.abort();
    expect(box.pending()).toEqual([]);
    expect(box.reply(q.requestId, "too late")).toBe(false);
    expect((await answered).error).toMatchObject({ code: "cancelled" });
  });

  test("past the bound of waiting questions a new one is refused, so no peer can grow the list", async () => {
    const box = inbox(2);
    const abort = new AbortController();
    const waiting = [collect(box, question(), abort.signal), collect(box, question(), abort.signal)];
    await until(() => box.pending().length === 2, "two questions to wait");
    const { error } = await collect(box, question());
    expectReadable(error);
    expect(error.code).toBe("unavailable");
    expect(box.pending()).toHaveLength(2);
    abort.abort();
    await Promise.all(waiting);
  });
});
