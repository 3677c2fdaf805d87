import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ApiError } from "../../protocol/rest.ts";
import { frameRoutes, isCspReportPath } from "../plugins/frame-routes.ts";
import { maxBodyBytes } from "../settings/http-settings.ts";
import { bodyGuard } from "./body-guard.ts";
import type { HttpContext, HttpEnv } from "./context.ts";
import { checkLocalRequest } from "./local-guard.ts";
import { pluginRoutes } from "./plugin-routes.ts";
import { errorResponse, internalError, malformedRequest, throttledWarn } from "./request-edge.ts";
import { settingsRoutes } from "./settings-routes.ts";
import { systemRoutes } from "./system-routes.ts";
import { uiRoutes } from "./ui-routes.ts";

/**
 * The node's HTTP surface: one sub-app per area under `/api`, the UI for everything else, and in
 * front of all of it a malformed-request check, the local-surface guard and the body guard, in
 * that order, so a stranger's body is never read. Plugin frames (`/plugin-frame/<id>`) and plugin
 * files (`/plugins/<id>/…`) come before the UI. WebSocket upgrades are handled by the listener.
 */
export function createHttpApp(
  ctx: HttpContext,
  options: {
    uiDir?: string;
    /** Each feature's routes, mounted at `/api/<mount>`. */
    routes?: ReadonlyArray<{ mount: string; app: Hono<HttpEnv> }>;
    /** The MCP endpoint (server/mcp/), mounted at `/mcp` behind the same guard. */
    mcp?: Hono<HttpEnv>;
  } = {},
) {
  const app = new Hono<HttpEnv>();
  const warnRefused = throttledWarn(ctx.log);

  app.use("*", async (c, next) => {
    const malformed = malformedRequest(c.req.url, c.req.header("host") ?? null);
    if (malformed) return errorResponse(400, malformed);
    await next();
  });
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
      warnRefused("refused request", {
        path: c.req.path.slice(0, 200),
        from: c.env?.remoteAddress,
        reason: verdict.reason.slice(0, 200),
      });
      return c.json({ error: verdict.reason } satisfies ApiError, 403);
    }
    await next();
  });
  const guardBody = bodyGuard(() => ctx.settings.get(maxBodyBytes));
  // A plugin frame's CSP report is `application/csp-report`, not JSON: its route reads it itself,
  // under a smaller limit (server/plugins/csp-report.ts).
  app.use("*", (c, next) => (isCspReportPath(c.req.path) ? next() : guardBody(c, next)));

  app.route("/api", systemRoutes(ctx));
  app.route("/api/settings", settingsRoutes(ctx));
  for (const r of options.routes ?? []) app.route(`/api/${r.mount}`, r.app);
  app.all("/api/*", (c) =>
    c.json({ error: `no such endpoint: ${c.req.method} ${c.req.path}` } satisfies ApiError, 404),
  );
  // Upgrades never reach the app (the listener takes them); anything else here is a plain request.
  app.all("/peer-ws", (c) => c.json({ error: "expected a WebSocket upgrade" } satisfies ApiError, 426));
  if (options.mcp) app.route("/mcp", options.mcp);
  app.route("/plugin-frame", frameRoutes(ctx));
  app.route("/plugins", pluginRoutes(ctx));
  app.route("/", uiRoutes(options.uiDir));

  app.onError((err, c) => {
    // hono's own 4xx (a malformed request it could not route) keep their status and reason.
    if (err instanceof HTTPException && err.status < 500) return errorResponse(err.status, err.message);
    return internalError(err, ctx.log, { method: c.req.method, path: c.req.path });
  });
  return app;
}
