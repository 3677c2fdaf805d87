import { Hono } from "hono";
import type { ApiError, SettingDescriptor } from "../../protocol/rest.ts";
import { settingsPatch } from "../../protocol/rest.ts";
import { SettingValidationError } from "../settings/registry.ts";
import type { HttpContext, HttpEnv } from "./context.ts";

/** `/api/settings`: read every value, describe every key, write a validated partial map. */
export function settingsRoutes(ctx: HttpContext) {
  return new Hono<HttpEnv>()
    .get("/", (c) => c.json(ctx.settings.values()))
    .get("/schema", (c) => {
      const settings: SettingDescriptor[] = ctx.settings.registry.all().map((def) => ({
        key: def.key,
        description: def.description,
        default: def.default,
        schema: ctx.settings.registry.jsonSchema(def.key),
        overriddenBy: ctx.settings.overriddenBy(def.key),
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
    });
}
