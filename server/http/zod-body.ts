import { validator } from "hono/validator";
import type { z } from "zod";
import type { ApiError } from "../../protocol/rest.ts";

/**
 * A hono validator for a JSON body: anything that is not JSON or fails the schema is answered
 * `400 { error, field? }` before the handler runs.
 */
export function jsonBody<S extends z.ZodType>(schema: S) {
  return validator("json", (value, c) => {
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data as z.output<S>;
    const issue = parsed.error.issues[0];
    const field = issue?.path.map(String).join(".") || undefined;
    const error = field ? `${field}: ${issue?.message ?? "invalid"}` : (issue?.message ?? "invalid body");
    return c.json({ error, ...(field ? { field } : {}) } satisfies ApiError, 400);
  });
}
