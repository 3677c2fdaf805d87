import { Hono } from "hono";
import {
  auditKindQuery,
  connectRequest,
  inviteRequest,
  pairRequest,
  pathPolicyRequest,
} from "../../protocol/network.ts";
import type { ApiError, IdentityResponse } from "../../protocol/rest.ts";
import { decodeInvite, InviteFormatError } from "../fabric/invite-codec.ts";
import { DialError } from "../fabric/links/link.ts";
import type { FeatureContext } from "../features/feature.ts";
import type { HttpEnv } from "../http/context.ts";
import { jsonBody } from "../http/zod-body.ts";
import { mintInvite, selfRow } from "./network-facts.ts";

/**
 * `/api/network/*`: identity, peers, link history, invites, pairing, dialing, block and forget,
 * path policy, audit.
 */
export function networkRoutes(ctx: Pick<FeatureContext, "identity" | "fabric" | "nodeName" | "addresses">) {
  const { hub, audit } = ctx.fabric;
  const notFound = (id: string) => ({ error: `no peer ${id}` }) satisfies ApiError;
  return new Hono<HttpEnv>()
    .get("/identity", (c) =>
      c.json({
        node_id: ctx.identity.nodeId,
        public_key: ctx.identity.publicKeyBase64,
        node_name: ctx.nodeName(),
        capabilities: [...hub.capabilities],
        addresses: ctx.addresses(),
      } satisfies IdentityResponse),
    )
    .get("/peers", (c) => c.json({ self: selfRow(ctx), peers: hub.rows() }))
    .get("/metrics/history", (c) => c.json(ctx.fabric.monitor.history.snapshot()))
    .post("/invite", jsonBody(inviteRequest), (c) => c.json(mintInvite(ctx, c.req.valid("json").ttl_s)))
    .post("/pair", jsonBody(pairRequest), async (c) => {
      const { invite } = c.req.valid("json");
      try {
        decodeInvite(invite);
      } catch (err) {
        if (err instanceof InviteFormatError)
          return c.json({ error: err.message, field: "invite" } satisfies ApiError, 400);
        throw err;
      }
      return c.json(await hub.pair(invite));
    })
    .post("/connect", jsonBody(connectRequest), async (c) => {
      try {
        return c.json({ ok: true, peer: await hub.dial(c.req.valid("json").address) });
      } catch (err) {
        if (err instanceof DialError && err.code === "bad_address") {
          return c.json({ error: err.message, field: "address" } satisfies ApiError, 400);
        }
        return c.json({ ok: false, error: (err as Error).message });
      }
    })
    .delete("/peers/:node_id", (c) => {
      const id = c.req.param("node_id");
      if (!hub.row(id)) return c.json(notFound(id), 404);
      if (c.req.query("forget") === "1") return c.json({ ok: hub.forget(id) });
      hub.disconnect(id);
      return c.json({ ok: true, peer: hub.row(id) });
    })
    .post("/peers/:node_id/connect", async (c) => {
      const id = c.req.param("node_id");
      if (!hub.row(id)) return c.json(notFound(id), 404);
      try {
        return c.json({ ok: true, peer: await hub.reconnect(id) });
      } catch (err) {
        return c.json({ ok: false, error: (err as Error).message });
      }
    })
    .post("/peers/:node_id/block", (c) => {
      const id = c.req.param("node_id");
      return hub.setBlocked(id, true) ? c.json({ ok: true, peer: hub.row(id) }) : c.json(notFound(id), 404);
    })
    .delete("/peers/:node_id/block", (c) => {
      const id = c.req.param("node_id");
      return hub.setBlocked(id, false) ? c.json({ ok: true, peer: hub.row(id) }) : c.json(notFound(id), 404);
    })
    .put("/peers/:node_id/path-policy", jsonBody(pathPolicyRequest), (c) => {
      const id = c.req.param("node_id");
      const { policy } = c.req.valid("json");
      return hub.setPathPolicy(id, policy)
        ? c.json({ ok: true, peer: hub.row(id) })
        : c.json(notFound(id), 404);
    })
    .get("/audit", (c) => {
      const limit = Number(c.req.query("limit") ?? 100);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
        return c.json(
          { error: "limit must be a whole number from 1 to 1000", field: "limit" } satisfies ApiError,
          400,
        );
      }
      const kind = auditKindQuery.safeParse(c.req.query("kind") ?? "all");
      if (!kind.success) {
        return c.json({ error: "kind must be trust, refusal or all", field: "kind" } satisfies ApiError, 400);
      }
      return c.json({ entries: audit.recent(limit, kind.data) });
    });
}
