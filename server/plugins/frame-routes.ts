import { Hono } from "hono";
import type { ApiError } from "../../protocol/rest.ts";
import type { HttpContext, HttpEnv } from "../http/context.ts";
import { readCspReport } from "./csp-report.ts";
import { FRAME_HEADERS, framePage, sandboxPolicy } from "./frame-policy.ts";

/** The one POST under `/plugin-frame/`; its body is read by its own route, not the body guard. */
const CSP_REPORT_PATH = /^\/plugin-frame\/[^/]+\/csp-report$/;

/** Whether `path` is a plugin frame's report address (server/http/app.ts lets its body through). */
export const isCspReportPath = (path: string): boolean => CSP_REPORT_PATH.test(path);

/**
 * `/plugin-frame/<id>`: the page a plugin's sandboxed iframe loads, and `…/csp-report`, where the
 * browser reports what that page's policy blocked (docs/architecture.md, "Plugins in a sandbox").
 * Mounted outside `/api`, behind the local guard: loopback only, with a Host naming this node.
 * Anything else here, and the page of an unknown, refused or turned-off plugin, is a plain 404.
 */
export function frameRoutes(ctx: HttpContext): Hono<HttpEnv> {
  const notFound = () =>
    new Response("not found", {
      status: 404,
      headers: {
        ...FRAME_HEADERS,
        "content-type": "text/plain; charset=utf-8",
        "content-security-policy": "sandbox; default-src 'none'",
      },
    });
  return new Hono<HttpEnv>()
    .get("/:id", (c) => {
      const id = c.req.param("id");
      const pane = ctx.panes.usable(id);
      if (pane?.source !== "plugin" || pane.entry === undefined) return notFound();
      // The guard let the request in only with a Host that names this node on loopback.
      const host = (c.req.header("host") ?? "").toLowerCase();
      return new Response(framePage(host, { id, name: pane.title, entry: pane.entry }), {
        headers: {
          ...FRAME_HEADERS,
          "content-type": "text/html; charset=utf-8",
          "content-security-policy": sandboxPolicy(host, id),
        },
      });
    })
    .post("/:id/csp-report", async (c) => {
      const id = c.req.param("id");
      // The body first, as the body guard does for every other route: a bad one is refused the
      // same way whatever the path names.
      const read = await readCspReport(c.req.raw);
      if (!read.ok) return c.json({ error: read.error } satisfies ApiError, read.status);
      // Any installed plugin, on or off: a frame open when its plugin was turned off may still report.
      if (!ctx.panes.plugin(id)?.manifest) return c.json({ error: "not found" } satisfies ApiError, 404);
      const { count, log } = ctx.panes.frameReports.record(id, read.violation);
      if (log) ctx.log.warn("plugin frame blocked", { plugin: id, ...read.violation, count });
      return c.body(null, 204);
    })
    .all("*", () => notFound());
}
