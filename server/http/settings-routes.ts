import { Hono } from "hono";
import type { ApiError, SettingDescriptor } from "../../protocol/rest.ts";
import { settingsPatch } from "../../protocol/rest.ts";
import { SettingValidationError } from "../settings/registry.ts";
import type { HttpContext, HttpEnv } from "./context.ts";

/**
 * `/api/settings`: read every value, describe every key, write a validated partial map, and
 * `DELETE /api/settings/:key` to forget a value so its default applies again.
 */
export function settingsRoutes(ctx: HttpContext) {
  return new Hono<HttpEnv>()
    .get("/", (c) => c.json(ctx.settings.values()))
    .get("/schema", (c) => {
      const settings: SettingDescriptor[] = ctx.settings.registry.all().map((def) => ({
        key: def.key,
        description: def.description,
        default: def.default,
        schema: ctx.settings.registry.jsonSchema(def.key),
        overriddenBy: ctx.settings.override(def.key)?.from,
        effective: ctx.settings.shown({ [def.key]: ctx.settings.override(def.key)?.value })[def.key],
        ...(def.secret ? { secret: true } : {}),
      }));
      return c.json({ settings });
    })
    .put("/", async (c) => {
      let body: unknown;
      try {
        body = await c.req.json();
      } catch {
        return c.json({ error: "body must be a JSON object of settings" } satisfies ApiError, 400);
      }
      const patch = settingsPatch.safeParse(body);
      if (!patch.success)
        return c.json({ error: "body must be a JSON object of settings" } satisfies ApiError, 400);
      try {
        ctx.settings.update(patch.data);
      } catch (err) {
        if (err instanceof SettingValidationError) {
          return c.json({ error: err.message, field: err.key } satisfies ApiError, 400);
        }
        throw err;
      }
      return c.json(ctx.settings.values());
    })
    .delete("/:key", (c) => {
      const key = c.req.param("key");
      if (!ctx.settings.registry.get(key)) {
        return c.json({ error: `unknown setting ${key}`, field: key } satisfies ApiError, 404);
      }
      ctx.settings.reset(key);
      return c.json(ctx.settings.values());
    });
}
