import type { MiddlewareHandler } from "hono";
import type { ApiError } from "../../protocol/rest.ts";
import type { HttpEnv } from "./context.ts";

/** `application/json`, with or without parameters such as `charset`. */
const JSON_MEDIA_TYPE = /^application\/json\s*(;|$)/i;

/**
 * Every body this node takes is a JSON document, so every body is checked here once, before any
 * route: a declared `Content-Length` past the limit is refused unread, a chunked body is read
 * only up to the limit, anything else than `application/json` is 415, and JSON that does not
 * parse is 400 naming the problem. What passes is kept, so routes read it with `c.req.json()`.
 * An empty body counts as no body, whatever its `Content-Type`.
 */
export function bodyGuard(maxBytes: () => number): MiddlewareHandler<HttpEnv> {
  return async (c, next) => {
    const limit = maxBytes();
    const tooLarge = () =>
      c.json({ error: `body is larger than ${limit} bytes (http.maxBodyBytes)` } satisfies ApiError, 413);
    const declared = c.req.header("content-length");
    if (declared !== undefined) {
      if (!/^\d{1,16}$/.test(declared.trim()))
        return c.json({ error: "malformed Content-Length header" } satisfies ApiError, 400);
      if (Number(declared) > limit) return tooLarge();
    }
    const stream = c.req.raw.body;
    if (!stream) return next();

    const bytes = await readAtMost(stream, limit);
    if (bytes === "too large") return tooLarge();
    if (bytes === "unreadable")
      return c.json({ error: "the body could not be read" } satisfies ApiError, 400);
    if (bytes.byteLength > 0) {
      const type = c.req.header("content-type") ?? "";
      if (!JSON_MEDIA_TYPE.test(type)) {
        return c.json(
          {
            error: `body must be application/json, not ${type ? `"${type.slice(0, 100)}"` : "untyped"}`,
          } satisfies ApiError,
          415,
        );
      }
    }
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      return c.json({ error: "body is not valid UTF-8" } satisfies ApiError, 400);
    }
    if (text.trim() !== "") {
      try {
        JSON.parse(text);
      } catch (err) {
        const reason = err instanceof Error ? err.message.slice(0, 200) : "does not parse";
        return c.json({ error: `body is not valid JSON: ${reason}` } satisfies ApiError, 400);
      }
    }
    // The stream is spent; routes read the body from hono's cache instead (which holds promises,
    // whatever its declared type says).
    (c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve(text);
    return next();
  };
}

/** Reads a body stream up to `limit` bytes, cancelling it as soon as it goes past. */
export async function readAtMost(
  stream: ReadableStream<Uint8Array>,
  limit: number,
): Promise<Uint8Array | "too large" | "unreadable"> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => {});
        return "too large";
      }
      chunks.push(value);
    }
  } catch {
    return "unreadable";
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}
