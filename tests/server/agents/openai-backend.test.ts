import { afterEach, describe, expect, test } from "bun:test";
import { AgentBackendError, framedPrompt } from "../../../server/agents/agent-backend.ts";
import { OpenAiBackend, type OpenAiBackendOptions } from "../../../server/agents/openai-backend.ts";
import { collect, expectReadable, question, until } from "../../helpers/agent-answers.ts";
import { type OpenAiStub, type StubReply, startOpenAiStub } from "../../helpers/openai-stub-server.ts";

/** Distinctive enough that finding it in any error text means it leaked. */
const KEY = "sk-proj-TEST0xC0FFEE-do-not-show-9f8e7d";

const stubs: OpenAiStub[] = [];
afterEach(async () => {
  for (const stub of stubs.splice(0)) await stub.stop();
});

function setup(reply: StubReply, opts: Partial<OpenAiBackendOptions> = {}) {
  const stub = startOpenAiStub(reply);
  stubs.push(stub);
  const backend = new OpenAiBackend({
    baseUrl: stub.baseUrl,
    model: "gpt-4o-mini",
    apiKey: KEY,
    timeoutMs: 10_000,
    ...opts,
  });
  return { stub, backend };
}

/** Every text an error carries, wherever a caller might print or send it from. */
function everyText(err: unknown): string {
  const e = err as AgentBackendError;
  return [e.message, e.detail ?? "", e.stack ?? "", String(e), JSON.stringify(e)].join("\n");
}

describe("the openai backend's request", () => {
  test("posts the model, stream: true and the framed question as one user message, with the key as a Bearer token", async () => {
    const { stub, backend } = setup({ kind: "stream", deltas: ["Paris", "."] });
    const q = question();
    const { deltas, error } = await collect(backend, q);
    expect(error).toBeUndefined();
    expect(deltas.join("")).toBe("Paris.");
    expect(stub.requests).toHaveLength(1);
    const req = stub.requests[0];
    expect(req?.method).toBe("POST");
    expect(req?.path).toBe("/v1/chat/completions");
    expect(req?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req?.headers["content-type"]).toBe("application/json");
    expect(req?.body).toEqual({
      model: "gpt-4o-mini",
      stream: true,
      messages: [{ role: "user", content: framedPrompt(q) }],
    });
  });

  test("a blank key sends no Authorization header, and a blank model no model", async () => {
    const { stub, backend } = setup({ kind: "stream", deltas: ["ok"] }, { apiKey: "", model: "" });
    await collect(backend, question());
    expect(stub.requests[0]?.headers.authorization).toBeUndefined();
    expect(stub.requests[0]?.body).not.toHaveProperty("model");
  });

  test("a base URL written with a trailing slash reaches the same endpoint", async () => {
    const stub = startOpenAiStub({ kind: "stream", deltas: ["ok"] });
    stubs.push(stub);
    const backend = new OpenAiBackend({
      baseUrl: `${stub.baseUrl}/`,
      model: "m",
      apiKey: "",
      timeoutMs: 5000,
    });
    expect((await collect(backend, question())).error).toBeUndefined();
    expect(stub.requests[0]?.path).toBe("/v1/chat/completions");
  });
});

describe("the openai backend's stream", () => {
  test("a stream cut into 7-byte pieces, through lines and UTF-8 sequences, gives the answer intact", async () => {
    const parts = ["Grüße ", "aus ", "Zürich ✓ ", "🧵"];
    const { backend } = setup({ kind: "stream", deltas: parts, piecesOf: 7 });
    const { deltas, error } = await collect(backend, question());
    expect(error).toBeUndefined();
    expect(deltas).toEqual(parts);
  });

  test("a server that ends after its finish_reason without [DONE] still gives the whole answer", async () => {
    const { backend } = setup({ kind: "stream", deltas: ["a", "b"], done: false });
    expect(await collect(backend, question())).toEqual({ deltas: ["a", "b"], error: undefined });
  });

  test("a stream that breaks off before the answer finished fails rather than passing as whole", async () => {
    const body = 'data: {"choices":[{"index":0,"delta":{"content":"half"},"finish_reason":null}]}\n\n';
    const { backend } = setup({ kind: "raw", status: 200, body, contentType: "text/event-stream" });
    const { deltas, error } = await collect(backend, question());
    expect(deltas).toEqual(["half"]);
    expectReadable(error);
    expect(error.code).toBe("failed");
  });

  test("a stream that is not chat completions fails with a readable reason", async () => {
    const { backend } = setup({
      kind: "raw",
      status: 200,
      body: "data: <html>\n\n",
      contentType: "text/event-stream",
    });
    const { error } = await collect(backend, question());
    expectReadable(error);
    expect(error.message).toBe("the model server sent a stream that is not chat completions");
  });

  test("an error sent mid-stream reaches the asker in the server's words", async () => {
    const body = 'data: {"error":{"message":"The model is overloaded","type":"server_error"}}\n\n';
    const { backend } = setup({ kind: "raw", status: 200, body, contentType: "text/event-stream" });
    const { error } = await collect(backend, question());
    expectReadable(error);
    expect(error.message).toBe("the model server failed mid-answer: The model is overloaded");
  });

  test("a stream that stalls mid-answer fails as timeout once nothing came for the stall time", async () => {
    const { stub, backend } = setup({ kind: "stall", deltas: ["Thinking"] }, { stallMs: 250 });
    const at = performance.now();
    const { deltas, error } = await collect(backend, question());
    const took = performance.now() - at;
    expect(deltas).toEqual(["Thinking"]);
    expectReadable(error);
    expect(error.code).toBe("timeout");
    expect(error.message).toBe("the model server's stream stalled: nothing for 0.25 s");
    expect(took).toBeGreaterThanOrEqual(240);
    expect(took).toBeLessThan(2000);
    await until(() => stub.open() === 0, "the stalled stream's connection to close");
  });
});

describe("the openai backend's failures", () => {
  test("a 401 reaches the asker as OpenAI's own message, with the status", async () => {
    const { backend } = setup({ kind: "error", status: 401 });
    const { error } = await collect(backend, question());
    expectReadable(error);
    expect(error.code).toBe("http");
    expect(error.status).toBe(401);
    expect(error.message).toBe("the model server answered 401: Incorrect API key provided");
  });

  test("a 429 and a 500 say so, in the server's words", async () => {
    const { stub, backend } = setup({ kind: "error", status: 429 });
    const limited = (await collect(backend, question())).error;
    expectReadable(limited);
    expect(limited.status).toBe(429);
    expect(limited.message).toStartWith("the model server answered 429: Rate limit reached for gpt-4o-mini");
    stub.reply = { kind: "error", status: 500 };
    const broken = (await collect(backend, question())).error;
    expectReadable(broken);
    expect(broken.message).toBe(
      "the model server answered 500: The server had an error while processing your request. Sorry about that!",
    );
  });

  test("an error page that is not JSON gives the status alone, and a long message is cut short", async () => {
    const { stub, backend } = setup({ kind: "raw", status: 502, body: "<html><h1>Bad Gateway</h1></html>" });
    const page = (await collect(backend, question())).error;
    expectReadable(page);
    expect(page.message).toMatch(/^the model server answered 502\b/);
    expect(page.message).not.toContain("html");
    const long = JSON.stringify({ error: { message: `overloaded ${"very ".repeat(500)}`, type: "x" } });
    stub.reply = { kind: "raw", status: 503, body: long, contentType: "application/json" };
    const cut = (await collect(backend, question())).error;
    expectReadable(cut);
    expect(cut.message.length).toBeLessThanOrEqual(340);
    expect(cut.message).toEndWith("…");
  });

  test("a server that cannot be reached is unavailable, and the asker is not told its address", async () => {
    const { stub, backend } = setup({ kind: "stream", deltas: [] });
    await stub.stop();
    const { error } = await collect(backend, question());
    expectReadable(error);
    expect(error.code).toBe("unavailable");
    expect(error.message).not.toContain("127.0.0.1");
    expect(error.detail).toContain(new URL(stub.baseUrl).origin);
  });

  test("a blank base URL says the agent is not set up, without asking anything", async () => {
    const backend = new OpenAiBackend({ baseUrl: "", model: "m", apiKey: KEY, timeoutMs: 1000 });
    const { error } = await collect(backend, question());
    expectReadable(error);
    expect(error.code).toBe("unavailable");
  });

  test("the API key is in no error text, even when the server echoes it back whole or masked", async () => {
    const errors: unknown[] = [];
    const masked = `${KEY.slice(0, 8)}************${KEY.slice(-4)}`;
    const replies: StubReply[] = [
      { kind: "error", status: 401, echoKey: true },
      {
        kind: "raw",
        status: 401,
        body: JSON.stringify({ error: { message: `Incorrect API key provided: ${masked}.` } }),
      },
      { kind: "raw", status: 400, body: JSON.stringify({ error: { message: `bad key ${KEY}`, type: "x" } }) },
      { kind: "raw", status: 200, body: `data: {"error":{"message":"key ${KEY} revoked"}}\n\n` },
      { kind: "raw", status: 200, body: `data: ${KEY}\n\n` },
      { kind: "stall", deltas: [] },
    ];
    const { stub, backend } = setup(replies[0] as StubReply, { stallMs: 100 });
    for (const reply of replies) {
      stub.reply = reply;
      errors.push((await collect(backend, question())).error);
    }
    await stub.stop();
    errors.push((await collect(backend, question())).error);
    expect(errors.every((e) => e instanceof AgentBackendError)).toBe(true);
    for (const err of errors) {
      const text = everyText(err);
      expect(text).not.toContain(KEY);
      expect(text).not.toContain(KEY.slice(-4));
    }
    // The echoed key was taken out, and the rest of what the server said was kept.
    expect((errors[0] as AgentBackendError).message).toBe(
      "the model server answered 401: Incorrect API key provided: [redacted].",
    );
  });
});
