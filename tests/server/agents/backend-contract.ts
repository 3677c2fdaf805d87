import { afterEach, describe, expect, test } from "bun:test";
import { type AgentBackend, type AgentQuestion, framedPrompt } from "../../../server/agents/agent-backend.ts";
import { collect, expectReadable, question, until } from "../../helpers/agent-answers.ts";

/** The answer every harness is set to give, in these parts; multi-byte characters on purpose. */
export const ANSWER_PARTS = ["Hello", ", wörld", " ✓ 🧵"];
export const ANSWER = ANSWER_PARTS.join("");

/** How a harness's backend is to behave for one test. */
export type Behaviour =
  /** Answers `ANSWER` in its parts. */
  | "answer"
  /** Sends the first part, then goes on forever (until stopped). */
  | "endless"
  /** Fails, the way this backend fails. */
  | "fail";

/** One backend made for one test, and how to look at what it holds. */
export interface Harness {
  backend: AgentBackend;
  /** Runs beside `answer` once it was called: the person at the inbox replies here. */
  drive?(q: AgentQuestion, behaviour: Behaviour): Promise<void>;
  /** What the answerer got as the question, exactly as it arrived. */
  received(): Promise<string>;
  /** Whether the answerer ever saw a question (a request, a process, a pending entry). */
  started(): Promise<boolean>;
  /** True once the backend holds nothing for the question: no process, no open stream. */
  released(): Promise<boolean>;
  cleanup(): Promise<void>;
}

export type MakeHarness = (behaviour: Behaviour, opts: { timeoutMs: number }) => Promise<Harness>;

/**
 * What every agent backend that can answer must do, whatever does the answering: stream the
 * answer in parts, get the question framed with the asking peer's name, stop promptly and let go
 * of everything on an abort or a deadline, and fail with a readable `AgentBackendError`.
 */
export function backendContract(name: string, make: MakeHarness): void {
  describe(`the ${name} backend`, () => {
    let harness: Harness | undefined;
    afterEach(async () => {
      await harness?.cleanup();
      harness = undefined;
    });
    const start = async (behaviour: Behaviour, timeoutMs = 10_000) => {
      harness = await make(behaviour, { timeoutMs });
      return harness;
    };
    const ask = (h: Harness, behaviour: Behaviour, q: AgentQuestion, signal?: AbortSignal) => {
      const answered = collect(h.backend, q, signal);
      const driven = h.drive?.(q, behaviour) ?? Promise.resolve();
      return Promise.all([answered, driven]).then(([a]) => a);
    };

    test("streams the answer in more than one delta, and the deltas joined are the answer", async () => {
      const h = await start("answer");
      const { deltas, error } = await ask(h, "answer", question());
      expect(error).toBeUndefined();
      expect(deltas.length).toBeGreaterThan(1);
      expect(deltas.join("")).toBe(ANSWER);
      expect(deltas.every((d) => d !== "")).toBe(true);
      await until(() => h.released(), "the backend to let go after answering");
    });

    test("the question arrives framed as from the named peer, with no tools, and nothing else", async () => {
      const h = await start("answer");
      const q = question("Which port does the lobby use?");
      await ask(h, "answer", q);
      const got = await h.received();
      expect(got).toBe(framedPrompt(q));
      expect(got).toContain("peer the café's laptop (node-7f3a)");
      expect(got).toContain("no tools");
      expect(got.endsWith("Which port does the lobby use?")).toBe(true);
    });

    test("an abort mid-answer stops it promptly, fails as cancelled, and leaves nothing behind", async () => {
      const h = await start("endless");
      const q = question();
      const abort = new AbortController();
      const it = h.backend.answer(q, abort.signal)[Symbol.asyncIterator]();
      void h.drive?.(q, "endless");
      const first = await it.next();
      expect(first.value).toBe(ANSWER_PARTS[0]);
      const at = performance.now();
      abort.abort();
      const rest = await drain(it);
      expect(performance.now() - at).toBeLessThan(1500);
      expectReadable(rest.error);
      expect(rest.error.code).toBe("cancelled");
      await until(() => h.released(), "the backend to let go after the abort");
    });

    test("a question asked already cancelled fails as cancelled without starting anything", async () => {
      const h = await start("answer");
      const abort = new AbortController();
      abort.abort();
      const { deltas, error } = await collect(h.backend, question(), abort.signal);
      expect(deltas).toEqual([]);
      expectReadable(error);
      expect(error.code).toBe("cancelled");
      expect(await h.started()).toBe(false);
      await until(() => h.released(), "the backend to hold nothing");
    });

    test("a reader who stops early (breaks out of the loop) leaves nothing behind", async () => {
      const h = await start("endless");
      const q = question();
      void h.drive?.(q, "endless");
      for await (const delta of h.backend.answer(q, new AbortController().signal)) {
        expect(delta).toBe(ANSWER_PARTS[0] as string);
        break;
      }
      await until(() => h.released(), "the backend to let go after an early return");
    });

    test("the deadline stops an answer that goes on, fails as timeout, and leaves nothing behind", async () => {
      const h = await start("endless", 300);
      const q = question();
      const at = performance.now();
      const { deltas, error } = await ask(h, "endless", q);
      expect(performance.now() - at).toBeLessThan(2000);
      expect(deltas[0]).toBe(ANSWER_PARTS[0] as string);
      expectReadable(error);
      expect(error.code).toBe("timeout");
      expect(error.message).toContain("0.3 s");
      await until(() => h.released(), "the backend to let go after the deadline");
    });

    test("a failure surfaces as an AgentBackendError with a readable message", async () => {
      const h = await start("fail");
      const { error } = await ask(h, "fail", question());
      expectReadable(error);
      expect(["failed", "http", "declined", "unavailable"]).toContain(error.code);
      await until(() => h.released(), "the backend to let go after failing");
    });
  });
}

/** Reads an iterator to its end, keeping the error it ends with. */
async function drain(it: AsyncIterator<string>): Promise<{ deltas: string[]; error: unknown }> {
  const deltas: string[] = [];
  try {
    for (;;) {
      const r = await it.next();
      if (r.done) return { deltas, error: undefined };
      deltas.push(r.value);
    }
  } catch (error) {
    return { deltas, error };
  }
}
