import {
  agentCancelData,
  agentClientEvent,
  agentReceiptData,
  agentRequestData,
  agentResultData,
  agentStreamData,
} from "../../protocol/agent.ts";
import { browserChannel, defineFeature, peerMessageType } from "../features/feature.ts";
import { noticesFeature } from "../notices/notices-feature.ts";
import { agentChannel } from "./agent-channel.ts";
import { agentRoutes } from "./agent-routes.ts";
import { AgentService } from "./agent-service.ts";
import { agentSettings } from "./agent-settings.ts";
import { AgentStore } from "./agent-store.ts";
import { inboxForSettings } from "./backend-for-settings.ts";

/**
 * Asking a peer's agent and answering theirs (docs/architecture.md, "Agents"): `agent_*` on the
 * peer wire, the gate and the approval policies, `POST /api/network/ask-peer`,
 * `PUT /api/network/peers/:id/agent-policy`, `GET /api/network/agent-requests`.
 */
export const agentFeature = defineFeature({
  name: "agent",
  settings: agentSettings,
  create(ctx, features) {
    const hub = ctx.fabric.hub;
    const store = new AgentStore(ctx.db, (id) => hub.row(id)?.node_name ?? id);
    const channel = agentChannel({
      agents: () => agents,
      hub,
      settings: ctx.settings,
      browsers: ctx.browsers,
    });
    const agents: AgentService = new AgentService({
      selfId: ctx.identity.nodeId,
      hub,
      store,
      settings: ctx.settings,
      inbox: inboxForSettings(ctx.settings),
      notices: features.get(noticesFeature),
      audit: ctx.fabric.audit,
      peers: ctx.fabric.peers,
      log: ctx.log,
      changed: (ask) => channel.tabs.broadcast("ask", ask),
      delta: (request_id, delta) => channel.tabs.broadcast("delta", { request_id, delta }),
    });
    let offHub = () => {};
    return {
      api: agents,
      capabilities: ["agent"],
      channel: browserChannel({
        name: "agent",
        schema: agentClientEvent,
        handle: (s, m) => channel.handle(s, m),
      }),
      peerTypes: [
        // From any linked peer: one not trusted is told so, rather than met with silence.
        peerMessageType(
          "agent_request",
          agentRequestData,
          (peer, data) => agents.answerer.request(peer.peerId, data),
          {
            fromAnyPeer: true,
          },
        ),
        peerMessageType("agent_cancel", agentCancelData, (peer, data) =>
          agents.answerer.cancel(peer.peerId, data.request_id),
        ),
        peerMessageType("agent_receipt", agentReceiptData, (peer, data) =>
          agents.asker.receipt(peer.peerId, data),
        ),
        peerMessageType("agent_stream", agentStreamData, (peer, data) =>
          agents.asker.stream(peer.peerId, data),
        ),
        peerMessageType("agent_result", agentResultData, (peer, data) =>
          agents.asker.result(peer.peerId, data),
        ),
      ],
      routes: { mount: "network", app: agentRoutes(agents) },
      start() {
        // Questions asked of this node that were open when it stopped cannot go on.
        const failed = store.failUnfinishedIn("the node restarted");
        if (failed > 0) ctx.log.info("agent: questions left open by the last run failed", { failed });
        offHub = hub.on({ peerOnline: (id) => agents.asker.linked(id) });
      },
      stop() {
        offHub();
        agents.stop();
      },
    };
  },
});
