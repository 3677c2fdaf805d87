import { z } from "zod";
import {
  type AgentBackend,
  AgentBackendError,
  type AgentQuestion,
  deadline,
  formatSeconds,
  framedPrompt,
  shortText,
} from "./agent-backend.ts";
import { SseFormatError, SseParser } from "./sse-parser.ts";

/** Silence after which a started stream counts as stalled, unless the deadline comes first. */
export const DEFAULT_STALL_MS = 60_000;
/** How much of an error body is read: OpenAI's are a few hundred bytes; a proxy's page may be huge. */
const MAX_ERROR_BODY_BYTES = 16 * 1024;
const MAX_SHOWN_MESSAGE = 300;

export interface OpenAiBackendOptions {
  /** `agent.baseUrl`, e.g. `https://api.openai.com/v1`; `/chat/completions` is appended. */
  baseUrl: string;
  /** `agent.model`; blank sends none, for servers that serve one model. */
  model: string;
  /** `agent.apiKey`; blank sends no Authorization header. */
  apiKey: string;
  /** `agent.timeoutS` in ms: the whole answer, from the request to the last delta. */
  timeoutMs: number;
  /**
   * Longest silence once the server has answered, before the stream counts as stalled; default
   * `DEFAULT_STALL_MS`, never past the deadline. Before the response headers only the deadline
   * applies, as a local server may take long to load its model before it answers at all.
   */
  stallMs?: number;
}

/** The parts of a chat-completions chunk this backend reads; everything else is ignored. */
const chunkSchema = z.object({
  choices: z
    .array(
      z.object({
        delta: z.object({ content: z.string().nullish() }).nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .nullish(),
  error: z.object({ message: z.string().nullish() }).nullish(),
});

/** OpenAI's error body, `{ error: { message, type, code } }`: the message is what the asker is told. */
const errorBodySchema = z.object({ error: z.object({ message: z.string() }) });

/**
 * `agent.backend` = openai: any OpenAI-compatible chat-completions endpoint, streamed. The key
 * goes in the Authorization header and nowhere else: every message this backend makes passes
 * through `#safe`, which takes the key (and a masked copy a server prints) out.
 */
export class OpenAiBackend implements AgentBackend {
  readonly kind = "openai";
  readonly #opts: OpenAiBackendOptions;

  constructor(opts: OpenAiBackendOptions) {
    this.#opts = opts;
  }

  async *answer(q: AgentQuestion, signal: AbortSignal): AsyncGenerator<string> {
    const { baseUrl, model, apiKey, timeoutMs } = this.#opts;
    if (baseUrl === "") {
      throw new AgentBackendError("unavailable", "this node's agent is not set up", {
        detail: "agent.baseUrl is blank",
      });
    }
    const url = `${baseUrl.replace(/\/+$/, "")}/chat/completions`;
    const origin = URL.parse(url)?.origin ?? "the model server";
    const stallMs = Math.min(this.#opts.stallMs ?? DEFAULT_STALL_MS, timeoutMs);
    const limit = deadline(signal, timeoutMs);
    const stall = new AbortController();
    // Aborted on the way out if the answer did not finish, so no socket stays open for it.
    const own = new AbortController();
    let stallTimer: ReturnType<typeof setTimeout> | undefined;
    const watch = () => {
      clearTimeout(stallTimer);
      stallTimer = setTimeout(() => stall.abort(), stallMs);
    };
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    let complete = false;
    try {
      const headers: Record<string, string> = {
        "content-type": "application/json",
        accept: "text/event-stream",
      };
      if (apiKey !== "") headers.authorization = `Bearer ${apiKey}`;
      const body = {
        ...(model !== "" ? { model } : {}),
        stream: true,
        messages: [{ role: "user", content: framedPrompt(q) }],
      };
      const res = await fetch(url, {
        method: "POST",
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.any([limit.signal, stall.signal, own.signal]),
        redirect: "error",
      });
      watch();
      if (!res.ok) throw await this.#httpError(res);
      if (!res.body) throw new AgentBackendError("failed", "the model server sent an empty answer");
      reader = res.body.getReader();
      const parser = new SseParser();
      let finished = false;
      for (;;) {
        const { done, value } = await reader.read();
        const events = done ? parser.end() : parser.push(value);
        if (!done) watch();
        for (const data of events) {
          if (data === "[DONE]") {
            complete = true;
            return;
          }
          const delta = this.#delta(data);
          if (delta.finished) finished = true;
          if (delta.content !== "") yield delta.content;
        }
        if (done) break;
      }
      // Some compatible servers end without `[DONE]`; a finish_reason says the answer is whole.
      if (!finished) {
        throw new AgentBackendError("failed", "the model server's stream ended before the answer did");
      }
      complete = true;
    } catch (err) {
      if (limit.signal.aborted) throw limit.error();
      if (stall.signal.aborted) {
        throw new AgentBackendError(
          "timeout",
          `the model server's stream stalled: nothing for ${formatSeconds(stallMs)}`,
        );
      }
      if (err instanceof AgentBackendError) throw err;
      if (err instanceof SseFormatError)
        throw new AgentBackendError("failed", `the model server's ${err.message}`);
      throw new AgentBackendError("unavailable", "the agent's model server could not be reached", {
        detail: this.#safe(`${origin}: ${(err as Error).message}`),
      });
    } finally {
      clearTimeout(stallTimer);
      limit.dispose();
      if (!complete) own.abort();
      reader?.cancel().catch(() => {});
    }
  }

  /** A delta's text, and whether its choice says the answer is over. */
  #delta(data: string): { content: string; finished: boolean } {
    let parsed: z.infer<typeof chunkSchema>;
    try {
      parsed = chunkSchema.parse(JSON.parse(data));
    } catch {
      throw new AgentBackendError("failed", "the model server sent a stream that is not chat completions");
    }
    // Some servers report a failure mid-stream as a chunk with an error in it.
    if (parsed.error) {
      const said = parsed.error.message ? `: ${this.#shown(parsed.error.message)}` : "";
      throw new AgentBackendError("failed", `the model server failed mid-answer${said}`);
    }
    const choice = parsed.choices?.[0];
    return { content: choice?.delta?.content ?? "", finished: Boolean(choice?.finish_reason) };
  }

  /** A non-2xx answer as an error naming the status, with the server's own message when it gave one. */
  async #httpError(res: Response): Promise<AgentBackendError> {
    const text = await readAtMost(res, MAX_ERROR_BODY_BYTES);
    let said: string | undefined;
    try {
      const body = errorBodySchema.safeParse(JSON.parse(text));
      if (body.success) said = body.data.error.message;
    } catch {
      // Not JSON (a proxy's page): the status alone says enough.
    }
    const status = `${res.status}${res.statusText ? ` ${res.statusText}` : ""}`;
    const message = said
      ? `the model server answered ${res.status}: ${this.#shown(said)}`
      : `the model server answered ${status}`;
    return new AgentBackendError("http", message, { status: res.status });
  }

  /** A server's words as they may be shown: the key out, one line, short. */
  #shown(text: string): string {
    return shortText(this.#safe(text), MAX_SHOWN_MESSAGE);
  }

  /** `text` without the API key, whole or masked (`sk-…****…abcd`, as OpenAI prints a wrong one). */
  #safe(text: string): string {
    const key = this.#opts.apiKey;
    const unkeyed = key === "" ? text : text.split(key).join("[redacted]");
    return unkeyed.replace(/\S*\*{3,}\S*/g, "[redacted]");
  }
}

/** The start of a body as text, at most `max` bytes of it; the rest is not read. */
async function readAtMost(res: Response, max: number): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      size += value.byteLength;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(Math.min(size, max));
  let at = 0;
  for (const part of parts) {
    const take = part.subarray(0, bytes.length - at);
    bytes.set(take, at);
    at += take.byteLength;
    if (at >= bytes.length) break;
  }
  return new TextDecoder().decode(bytes);
}
