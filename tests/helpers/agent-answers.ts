import { expect } from "bun:test";
import {
  type AgentBackend,
  AgentBackendError,
  type AgentQuestion,
} from "../../server/agents/agent-backend.ts";

let asked = 0;
/** A question from a peer whose name is worth checking for in the framing (a space, an accent, a quote). */
export function question(prompt = "What is the capital of France?"): AgentQuestion {
  return { requestId: `req-${++asked}`, fromName: "the café's laptop", fromId: "node-7f3a", prompt };
}

/** Eventually true, or fails naming `what`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, ms = 3000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

/** Every delta of an answer, and the error it ended with, if any. */
export async function collect(
  backend: AgentBackend,
  q: AgentQuestion,
  signal = new AbortController().signal,
): Promise<{ deltas: string[]; error: unknown }> {
  const deltas: string[] = [];
  try {
    for await (const d of backend.answer(q, signal)) deltas.push(d);
    return { deltas, error: undefined };
  } catch (error) {
    return { deltas, error };
  }
}

/** What a person could be shown: a sentence, not a stack, a class name or an object dump. */
export function expectReadable(err: unknown): asserts err is AgentBackendError {
  expect(err).toBeInstanceOf(AgentBackendError);
  const message = (err as AgentBackendError).message;
  expect(message.length).toBeGreaterThan(5);
  expect(message.length).toBeLessThan(400);
  expect(message).not.toMatch(/\n|\bat \S+:\d+|Error:|\[object|undefined|\{"/);
}
