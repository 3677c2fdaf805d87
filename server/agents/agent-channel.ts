import type { AgentClientEvent } from "../../protocol/agent.ts";
import type { PeerHub } from "../fabric/peer-hub.ts";
import type { SettingsStore } from "../settings/settings-store.ts";
import { type BrowserHub, type BrowserSocket, channelSender } from "../ws/browser-hub.ts";
import type { AgentService } from "./agent-service.ts";
import { agentAllowRemote, agentBackend } from "./agent-settings.ts";

/**
 * The `agent` channel: what the Agent pane shows and does. Every change of an ask goes to every
 * tab (`ask`); parts of an answer to this node's own asks go as they come (`delta`).
 */
export function agentChannel(deps: {
  agents: () => AgentService;
  hub: PeerHub;
  settings: SettingsStore;
  browsers: BrowserHub;
}) {
  const tabs = channelSender(deps.browsers, "agent");
  const listing = () => {
    const agents = deps.agents();
    const policies: Record<string, ReturnType<AgentService["policyOf"]>> = {};
    for (const row of deps.hub.rows()) if (row.trusted) policies[row.node_id] = agents.policyOf(row.node_id);
    return {
      asks: agents.list(),
      policies,
      answering: {
        allowRemote: deps.settings.get(agentAllowRemote),
        backend: deps.settings.get(agentBackend),
      },
    };
  };
  return {
    tabs,
    handle(socket: BrowserSocket, msg: AgentClientEvent): void {
      const agents = deps.agents();
      switch (msg.event) {
        case "list":
          tabs.send(socket, "list", listing());
          return;
        case "ask": {
          const started = agents.asker.ask(msg.data.peer_id, msg.data.prompt);
          if ("ok" in started) tabs.send(socket, "error", { message: started.error ?? "could not ask" });
          return;
        }
        case "cancel":
          if (!agents.asker.cancel(msg.data.request_id)) {
            tabs.send(socket, "error", { message: "that question is not waiting for an answer" });
          }
          return;
        case "decide":
          if (!agents.answerer.decide(msg.data.peer_id, msg.data.request_id, msg.data.approve)) {
            tabs.send(socket, "error", { message: "that question is no longer waiting for you" });
          }
          return;
        case "set_policy":
          if (!agents.setPolicy(msg.data.peer_id, msg.data.policy)) {
            tabs.send(socket, "error", { message: `no peer ${msg.data.peer_id}` });
            return;
          }
          tabs.broadcast("list", listing());
          return;
        case "inbox_reply":
          if (!agents.inbox.reply(msg.data.request_id, msg.data.text)) {
            tabs.send(socket, "error", { message: "that question is no longer waiting for an answer" });
          }
          return;
        case "inbox_decline":
          if (!agents.inbox.decline(msg.data.request_id)) {
            tabs.send(socket, "error", { message: "that question is no longer waiting for an answer" });
          }
          return;
        default: {
          const never: never = msg;
          throw new Error(`unhandled agent event ${(never as { event: string }).event}`);
        }
      }
    },
  };
}
