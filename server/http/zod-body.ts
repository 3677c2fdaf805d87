import type { MiddlewareHandler } from "hono";
import type { z } from "zod";
import type { ApiError } from "../../protocol/rest.ts";
import type { HttpEnv } from "./context.ts";

/**
 * Validates a JSON object body against `schema` before the handler runs; the handler reads it with
 * `c.req.valid("json")`. The body guard in front (body-guard.ts) has already refused bodies that
 * are too large, not `application/json` or not JSON, so what is left here is the shape: anything
 * but an object, or an object the schema refuses, is `400 { error, field? }`. No body at all is
 * taken as `{}`, so a call whose fields are all optional may leave it out.
 */
export function jsonBody<S extends z.ZodType>(
  schema: S,
): MiddlewareHandler<HttpEnv, string, { in: { json: z.input<S> }; out: { json: z.output<S> } }> {
  return async (c, next) => {
    const text = await c.req.text();
    let value: unknown = {};
    if (text.trim() !== "") {
      try {
        value = JSON.parse(text);
      } catch {
        return c.json({ error: "body is not valid JSON" } satisfies ApiError, 400);
      }
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      const got = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
      return c.json({ error: `body must be a JSON object, not ${got}` } satisfies ApiError, 400);
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.map(String).join(".") || undefined;
      const error = field ? `${field}: ${issue?.message ?? "invalid"}` : (issue?.message ?? "invalid body");
      return c.json({ error, ...(field ? { field } : {}) } satisfies ApiError, 400);
    }
    c.req.addValidatedData("json", parsed.data as object);
    await next();
  };
}
