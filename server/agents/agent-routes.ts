import { Hono } from "hono";
import { agentPolicyRequest, askPeerRequest } from "../../protocol/agent.ts";
import type { ApiError } from "../../protocol/rest.ts";
import type { HttpEnv } from "../http/context.ts";
import { jsonBody } from "../http/zod-body.ts";
import type { AgentService } from "./agent-service.ts";

/**
 * `/api/network/*` for agents: ask a peer and wait for the whole answer, set a peer's approval
 * policy, list every ask both ways.
 */
export function agentRoutes(agents: AgentService): Hono<HttpEnv> {
  return new Hono<HttpEnv>()
    .post("/ask-peer", jsonBody(askPeerRequest), async (c) => {
      const { peer_id, prompt } = c.req.valid("json");
      // The answer may wait minutes for the peer's person: no idle cut while it does.
      c.env?.waitLonger?.(0);
      return c.json(await agents.askAndWait(peer_id, prompt));
    })
    .put("/peers/:node_id/agent-policy", jsonBody(agentPolicyRequest), (c) => {
      const id = c.req.param("node_id");
      return agents.setPolicy(id, c.req.valid("json").policy)
        ? c.json({ ok: true, policy: agents.policyOf(id) })
        : c.json({ error: `no peer ${id}` } satisfies ApiError, 404);
    })
    .get("/agent-requests", (c) => c.json({ asks: agents.list() }));
}
