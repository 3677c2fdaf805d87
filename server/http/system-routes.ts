import { Hono } from "hono";
import type { AboutResponse, HealthResponse, PanesResponse } from "../../protocol/rest.ts";
import { PROTOCOL_VERSION } from "../../protocol/version.ts";
import { WEFT_VERSION } from "../version.ts";
import type { HttpContext, HttpEnv } from "./context.ts";

/** `/api/health`, `/api/about` and `/api/panes`: facts about this node and what it can show. */
export function systemRoutes(ctx: HttpContext) {
  return new Hono<HttpEnv>()
    .get("/health", (c) =>
      c.json({
        status: "ok",
        version: WEFT_VERSION,
        node_id: ctx.identity.nodeId,
        uptime_s: Math.round((Date.now() - ctx.startedAt) / 100) / 10,
      } satisfies HealthResponse),
    )
    .get("/about", (c) =>
      c.json({
        version: WEFT_VERSION,
        protocol_version: PROTOCOL_VERSION,
        data_dir: ctx.dataDir,
        started_at: ctx.startedAt,
        listen_url: `http://localhost:${ctx.port()}/`,
      } satisfies AboutResponse),
    )
    .get("/panes", (c) => c.json({ panes: ctx.panes.list() } satisfies PanesResponse));
}
