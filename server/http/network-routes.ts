import { Hono } from "hono";
import type { IdentityResponse } from "../../protocol/rest.ts";
import type { HttpContext, HttpEnv } from "./context.ts";

/** `/api/network/*`. The peer fabric adds pairing and peers here; identity stands on its own. */
export function networkRoutes(ctx: HttpContext) {
  return new Hono<HttpEnv>().get("/identity", (c) =>
    c.json({
      node_id: ctx.identity.nodeId,
      public_key: ctx.identity.publicKeyBase64,
      node_name: ctx.nodeName(),
      capabilities: [],
      addresses: ctx.addresses(),
    } satisfies IdentityResponse),
  );
}
