/**
 * A node's agent backend: what answers a question a trusted peer asks. A remote question runs
 * with no tools and no actions; the backend gets the question framed as coming from the named
 * peer, and nothing else of this node.
 */

/** The backends `agent.backend` can name. */
export const AGENT_BACKEND_KINDS = ["none", "openai", "command", "inbox"] as const;
export type AgentBackendKind = (typeof AGENT_BACKEND_KINDS)[number];

/** A question as a backend sees it: text only, from the named peer. */
export interface AgentQuestion {
  /** Unique per question on this node; the inbox and the logs name a question by it. */
  requestId: string;
  /** The asking peer's name as this node knows it (shown to the answerer, so sanitised first). */
  fromName: string;
  /** The asking peer's node id. */
  fromId: string;
  /** The question itself, as the peer wrote it. */
  prompt: string;
}

/** One backend; built per question from the settings, except the inbox, which lives with the node. */
export interface AgentBackend {
  readonly kind: AgentBackendKind;
  /**
   * Streams the answer's deltas and ends when the answer is complete. Fails with an
   * `AgentBackendError` whose message may be shown to the asker (never a stack, a path or a
   * secret). Stops promptly once `signal` aborts, having released what it held (a process, a
   * socket), and then fails with `cancelled`.
   */
  answer(q: AgentQuestion, signal: AbortSignal): AsyncIterable<string>;
}

/** Why an answer failed, in a word a caller can switch on. */
export type AgentErrorCode =
  | "unavailable" // no agent, or one that is not set up or cannot be reached
  | "timeout" // no complete answer within `agent.timeoutS`, or a stream that went silent
  | "cancelled" // the asker (or the node) called the question off
  | "declined" // the person declined to answer
  | "failed" // the backend ran and broke: a program's exit code, a malformed stream
  | "http"; // the model server refused: its status and its own words

/**
 * Why an answer failed. `message` is written for the asker: short, readable, with no stack,
 * path, address or secret of this node. `detail` is for this node's log only (still no secret).
 */
export class AgentBackendError extends Error {
  override readonly name = "AgentBackendError";
  readonly code: AgentErrorCode;
  /** The model server's HTTP status, for `http`. */
  readonly status: number | undefined;
  /** More for the local log: which address, which program. Never sent to a peer. */
  readonly detail: string | undefined;
  constructor(code: AgentErrorCode, message: string, extra: { status?: number; detail?: string } = {}) {
    super(message);
    this.code = code;
    this.status = extra.status;
    this.detail = extra.detail;
  }
}

const MAX_NAME = 64;

/** A peer's name or id as it may appear in the framing: one line, printable, short. */
function oneLine(text: string, max: number): string {
  // Control characters (newlines among them) could forge a second "question from" line.
  const flat = text.replace(/[\p{Cc}\p{Cf}\u2028\u2029]+/gu, " ").trim();
  const short = flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
  return short === "" ? "(unnamed)" : short;
}

/**
 * The exact text a backend gets: who asks, that the answerer has no tools and must not act,
 * then the question. Nothing else of this node goes with it.
 */
export function framedPrompt(q: AgentQuestion): string {
  return [
    `Question from peer ${oneLine(q.fromName, MAX_NAME)} (${oneLine(q.fromId, MAX_NAME)}).`,
    "You have no tools and must not take any action: answer in text only.",
    "",
    q.prompt,
  ].join("\n");
}

/** The answer's deadline and the asker's signal as one signal, and which of them fired. */
export interface Deadline {
  readonly signal: AbortSignal;
  /** The error to fail with now that `signal` aborted: `timeout` or `cancelled`. */
  error(): AgentBackendError;
  /** Clears the timer; call once the answer is over. */
  dispose(): void;
}

/**
 * Joins the asker's signal with a timer of `timeoutMs`. Every backend runs under one, so
 * `agent.timeoutS` means the same everywhere and a timeout is told apart from a cancel.
 */
export function deadline(signal: AbortSignal, timeoutMs: number): Deadline {
  const controller = new AbortController();
  let timedOut = false;
  const onAbort = () => controller.abort();
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  if (signal.aborted) controller.abort();
  else signal.addEventListener("abort", onAbort, { once: true });
  return {
    signal: controller.signal,
    error: () =>
      timedOut
        ? new AgentBackendError("timeout", `no answer within ${formatSeconds(timeoutMs)}`)
        : new AgentBackendError("cancelled", "the question was cancelled"),
    dispose() {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    },
  };
}

/** `120 s`, `1.5 s`, `0.25 s`: how long, for a message (settings give whole seconds; tests less). */
export function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${s >= 10 ? Math.round(s) : Number(s.toFixed(2))} s`;
}

/** `text` cut to `max` characters with an ellipsis, whitespace runs folded to one space. */
export function shortText(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
