import type { Server } from "bun";

/** What the stub answers the next `POST …/chat/completions` with. */
export type StubReply =
  /** A streamed answer: one chunk per delta, `gapMs` apart, then a stop chunk and `[DONE]`. */
  | { kind: "stream"; deltas: string[]; gapMs?: number; piecesOf?: number; done?: boolean }
  /** These deltas, then silence with the connection held open until the client leaves. */
  | { kind: "stall"; deltas: string[] }
  /** An OpenAI error status and body; `echoKey` puts the caller's bearer token in the message. */
  | { kind: "error"; status: 401 | 429 | 500; echoKey?: boolean }
  /** A raw body with a status, for what a misbehaving server sends. */
  | { kind: "raw"; status: number; body: string; contentType?: string };

/** One request as the stub received it. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

export interface OpenAiStub {
  /** The base URL to configure (`agent.baseUrl`), ending in `/v1`. */
  readonly baseUrl: string;
  readonly requests: RecordedRequest[];
  /** What the next requests get; change it between tests. */
  reply: StubReply;
  /** Answers still streaming: 0 once every client has finished or left. */
  open(): number;
  stop(): Promise<void>;
}

/** OpenAI's own error bodies for the statuses the stub can answer. */
export const OPENAI_ERRORS = {
  401: {
    error: {
      message: "Incorrect API key provided",
      type: "invalid_request_error",
      param: null,
      code: "invalid_api_key",
    },
  },
  429: {
    error: {
      message:
        "Rate limit reached for gpt-4o-mini in organization org-stub on requests per min (RPM): Limit 3.",
      type: "requests",
      param: null,
      code: "rate_limit_exceeded",
    },
  },
  500: {
    error: {
      message: "The server had an error while processing your request. Sorry about that!",
      type: "server_error",
      param: null,
      code: null,
    },
  },
} as const;

/**
 * A local chat-completions server speaking OpenAI's streaming wire format: SSE `data:` lines each
 * holding a `chat.completion.chunk` (`id`, `object`, `created`, `model`, `choices[{ index, delta:
 * { role?, content? }, logprobs, finish_reason }]`), a blank line after each, then `data: [DONE]`.
 * It records every request, so a test can assert the model, the prompt and the headers it got.
 */
export function startOpenAiStub(reply: StubReply = { kind: "stream", deltas: ["Hello", ", ", "world"] }) {
  let streaming = 0;
  const requests: RecordedRequest[] = [];
  const stub: { reply: StubReply } = { reply };

  const server: Server<undefined> = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const path = new URL(req.url).pathname;
      const text = await req.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // Recorded as text: a test may want to see what was not JSON.
      }
      requests.push({ method: req.method, path, headers: Object.fromEntries(req.headers), body });
      if (req.method !== "POST" || path !== "/v1/chat/completions") {
        return Response.json(
          { error: { message: "not found", type: "invalid_request_error" } },
          { status: 404 },
        );
      }
      const now = stub.reply;
      if (now.kind === "error") {
        const shape = OPENAI_ERRORS[now.status];
        const key = (req.headers.get("authorization") ?? "").replace(/^Bearer /, "");
        const message = now.echoKey ? `${shape.error.message}: ${key}.` : shape.error.message;
        return Response.json({ error: { ...shape.error, message } }, { status: now.status });
      }
      if (now.kind === "raw") {
        return new Response(now.body, {
          status: now.status,
          headers: { "content-type": now.contentType ?? "text/plain" },
        });
      }
      const model = (body as { model?: string }).model ?? "stub-model";
      return sse(req, model, now, {
        opened: () => streaming++,
        closed: () => streaming--,
      });
    },
  });

  const out: OpenAiStub = {
    baseUrl: `http://127.0.0.1:${server.port}/v1`,
    requests,
    get reply() {
      return stub.reply;
    },
    set reply(next: StubReply) {
      stub.reply = next;
    },
    open: () => streaming,
    stop: () => server.stop(true),
  };
  return out;
}

let chunkCount = 0;

/** One `data:` line of a chunk and the blank line that ends its event. */
function chunk(model: string, delta: Record<string, string>, finish: string | null): string {
  const data = {
    id: `chatcmpl-stub${++chunkCount}`,
    object: "chat.completion.chunk",
    created: Math.floor(Date.now() / 1000),
    model,
    system_fingerprint: "fp_stub",
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  };
  return `data: ${JSON.stringify(data)}\n\n`;
}

function sse(
  req: Request,
  model: string,
  reply: Extract<StubReply, { kind: "stream" | "stall" }>,
  count: { opened(): void; closed(): void },
): Response {
  const encoder = new TextEncoder();
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    count.closed();
  };
  count.opened();
  // A client that goes away aborts the request's signal: the answer stops being counted as open.
  req.signal.addEventListener("abort", close, { once: true });
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = async (text: string) => {
        const bytes = encoder.encode(text);
        // `piecesOf` cuts the byte stream anywhere (inside a line, inside a UTF-8 sequence).
        const size = reply.kind === "stream" && reply.piecesOf ? reply.piecesOf : bytes.length;
        for (let at = 0; at < bytes.length && !closed; at += size) {
          controller.enqueue(bytes.subarray(at, at + size));
          if (size < bytes.length) await Bun.sleep(1);
        }
      };
      try {
        await send(chunk(model, { role: "assistant", content: "" }, null));
        for (const delta of reply.deltas) {
          if (closed) return;
          await send(chunk(model, { content: delta }, null));
          if (reply.kind === "stream" && reply.gapMs) await Bun.sleep(reply.gapMs);
        }
        if (reply.kind === "stall") return; // holds the connection open, saying nothing
        await send(chunk(model, {}, "stop"));
        if (reply.done !== false) await send("data: [DONE]\n\n");
        controller.close();
        close();
      } catch {
        close(); // the client left while a chunk was queued
      }
    },
    cancel: close,
  });
  return new Response(stream, {
    headers: { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" },
  });
}
