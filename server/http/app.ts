import { Hono } from "hono";
import type { ApiError } from "../../protocol/rest.ts";
import { noticeRoutes } from "../notices/notice-routes.ts";
import { chatRoutes } from "./chat-routes.ts";
import type { HttpContext, HttpEnv } from "./context.ts";
import { checkLocalRequest } from "./local-guard.ts";
import { networkRoutes } from "./network-routes.ts";
import { pluginRoutes } from "./plugin-routes.ts";
import { settingsRoutes } from "./settings-routes.ts";
import { systemRoutes } from "./system-routes.ts";
import { uiRoutes } from "./ui-routes.ts";

/**
 * The node's HTTP surface: one sub-app per area under `/api`, the UI for everything else, and the
 * local-surface guard in front of all of it. WebSocket upgrades are handled by the listener.
 */
export function createHttpApp(ctx: HttpContext, options: { uiDir?: string } = {}) {
  const app = new Hono<HttpEnv>();

  app.use("*", async (c, next) => {
    const verdict = checkLocalRequest({
      path: c.req.path,
      method: c.req.method,
      remoteAddress: c.env?.remoteAddress,
      host: c.req.header("host") ?? null,
      origin: c.req.header("origin") ?? null,
      port: ctx.port(),
      isUpgrade: false,
    });
    if (!verdict.ok) {
      ctx.log.warn("refused request", {
        path: c.req.path,
        from: c.env?.remoteAddress,
        reason: verdict.reason,
      });
      return c.json({ error: verdict.reason } satisfies ApiError, 403);
    }
    await next();
  });

  app.route("/api", systemRoutes(ctx));
  app.route("/api/network", networkRoutes(ctx));
  app.route("/api/settings", settingsRoutes(ctx));
  app.route("/api/chat", chatRoutes(ctx));
  app.route("/api/notices", noticeRoutes(ctx));
  app.all("/api/*", (c) =>
    c.json({ error: `no such endpoint: ${c.req.method} ${c.req.path}` } satisfies ApiError, 404),
  );
  app.all("/peer-ws", (c) =>
    c.json({ error: "this weft does not accept peer links yet" } satisfies ApiError, 501),
  );
  app.route("/plugins", pluginRoutes(ctx));
  app.route("/", uiRoutes(options.uiDir));

  app.onError((err, c) => {
    ctx.log.error("request failed", { path: c.req.path, error: err.message });
    return c.json({ error: "internal error" } satisfies ApiError, 500);
  });
  return app;
}
