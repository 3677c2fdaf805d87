import {
  type AgentBackend,
  AgentBackendError,
  type AgentQuestion,
  deadline,
  framedPrompt,
  shortText,
} from "./agent-backend.ts";

/** Questions waiting at once; past this a peer is told to come back, so no peer can grow the list. */
export const MAX_PENDING = 50;
const MAX_REASON = 300;

/** A question waiting for the person, as the Agent pane shows it. */
export interface PendingQuestion extends AgentQuestion {
  /** The question as every backend gets it (`framedPrompt`): the person answers under the same terms. */
  framed: string;
  /** When it arrived, ms since the epoch. */
  askedAt: number;
}

export interface InboxBackendOptions {
  /** `agent.timeoutS` in ms, read when each question arrives. */
  timeoutMs: () => number;
  /** Default `MAX_PENDING`. */
  maxPending?: number;
}

interface Waiting {
  question: PendingQuestion;
  /** What the person sent and the asker has not been given yet. */
  parts: string[];
  outcome: "open" | "answered" | "declined";
  reason: string | undefined;
  wake: () => void;
}

/**
 * `agent.backend` = inbox: the person answers by hand. A question waits in `pending()` until the
 * Agent pane calls `reply` (or `write` for part of an answer, then `reply`) or `decline`, or until
 * the asker cancels or the deadline passes. One inbox lives with the node, so questions survive a
 * settings read; a question leaves `pending()` the moment it is answered, declined or called off.
 */
export class InboxBackend implements AgentBackend {
  readonly kind = "inbox";
  readonly #opts: InboxBackendOptions;
  readonly #waiting = new Map<string, Waiting>();
  readonly #listeners = new Set<() => void>();

  constructor(opts: InboxBackendOptions) {
    this.#opts = opts;
  }

  /** The questions waiting for the person, oldest first. */
  pending(): PendingQuestion[] {
    return [...this.#waiting.values()].map((w) => ({ ...w.question }));
  }

  /** Called whenever a question arrives or leaves `pending()`; returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Part of the answer, more to come. False when no such question is waiting. */
  write(requestId: string, delta: string): boolean {
    const w = this.#open(requestId);
    if (!w) return false;
    if (delta !== "") w.parts.push(delta);
    w.wake();
    return true;
  }

  /** The answer, or its last part after `write`: the question is answered. False when none waits. */
  reply(requestId: string, text: string): boolean {
    const w = this.#open(requestId);
    if (!w) return false;
    if (text !== "") w.parts.push(text);
    this.#settle(w, "answered");
    return true;
  }

  /** The person will not answer; `reason`, if given, is shown to the asker. False when none waits. */
  decline(requestId: string, reason?: string): boolean {
    const w = this.#open(requestId);
    if (!w) return false;
    w.reason = reason === undefined ? undefined : shortText(reason, MAX_REASON);
    this.#settle(w, "declined");
    return true;
  }

  async *answer(q: AgentQuestion, signal: AbortSignal): AsyncGenerator<string> {
    if (this.#waiting.size >= (this.#opts.maxPending ?? MAX_PENDING)) {
      throw new AgentBackendError("unavailable", "too many questions are waiting here: ask again later");
    }
    if (this.#waiting.has(q.requestId)) {
      throw new AgentBackendError("failed", "this question is already waiting for an answer");
    }
    const limit = deadline(signal, this.#opts.timeoutMs());
    if (limit.signal.aborted) {
      limit.dispose();
      throw limit.error();
    }
    const w: Waiting = {
      question: { ...q, framed: framedPrompt(q), askedAt: Date.now() },
      parts: [],
      outcome: "open",
      reason: undefined,
      wake: () => {},
    };
    // Called off while the asker is not reading: it leaves the person's list at once all the same.
    const onAbort = () => {
      this.#remove(w);
      w.wake();
    };
    limit.signal.addEventListener("abort", onAbort, { once: true });
    this.#waiting.set(q.requestId, w);
    this.#changed();
    try {
      for (;;) {
        if (limit.signal.aborted) throw limit.error();
        const part = w.parts.shift();
        if (part !== undefined) {
          yield part;
          continue;
        }
        if (w.outcome === "answered") return;
        if (w.outcome === "declined") {
          const why = w.reason ? `: ${w.reason}` : "";
          throw new AgentBackendError("declined", `the person here declined to answer${why}`);
        }
        await new Promise<void>((resolve) => {
          w.wake = resolve;
        });
      }
    } finally {
      limit.signal.removeEventListener("abort", onAbort);
      limit.dispose();
      this.#remove(w);
    }
  }

  #open(requestId: string): Waiting | undefined {
    const w = this.#waiting.get(requestId);
    return w?.outcome === "open" ? w : undefined;
  }

  #settle(w: Waiting, outcome: "answered" | "declined"): void {
    w.outcome = outcome;
    this.#remove(w);
    w.wake();
  }

  #remove(w: Waiting): void {
    if (this.#waiting.get(w.question.requestId) !== w) return;
    this.#waiting.delete(w.question.requestId);
    this.#changed();
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }
}
