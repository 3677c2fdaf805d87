import type { AgentAsk, ApprovalPolicy, AskPeerResponse } from "../../protocol/agent.ts";
import type { AuditLog } from "../fabric/audit-log.ts";
import type { PeerHub } from "../fabric/peer-hub.ts";
import type { PeerStore } from "../fabric/peer-store.ts";
import type { Logger } from "../log.ts";
import type { NoticeService } from "../notices/notice-service.ts";
import type { SettingsStore } from "../settings/settings-store.ts";
import { AgentAnswerer } from "./agent-answerer.ts";
import { AgentAsker } from "./agent-asker.ts";
import { agentAllowRemote, agentDefaultApproval, agentRatePerMinute } from "./agent-settings.ts";
import type { AgentStore } from "./agent-store.ts";
import { backendForSettings } from "./backend-for-settings.ts";
import type { InboxBackend } from "./inbox-backend.ts";

export interface AgentServiceDeps {
  selfId: string;
  hub: PeerHub;
  store: AgentStore;
  settings: SettingsStore;
  inbox: InboxBackend;
  notices: NoticeService;
  audit: AuditLog;
  /** Writes a peer's policy where its row is kept, so the Peers pane shows it. */
  peers: PeerStore;
  log: Logger;
  /** An ask changed, either way: tabs show it. */
  changed(ask: AgentAsk): void;
  /** A part of the answer to an ask of this node arrived. */
  delta(requestId: string, delta: string): void;
  approvalMs?: number;
}

/**
 * Agents on this node, both ways: asking peers (`AgentAsker`) and answering them (`AgentAnswerer`),
 * with the per-peer policies and one list of every ask.
 */
export class AgentService {
  readonly asker: AgentAsker;
  readonly answerer: AgentAnswerer;
  /** The node's inbox: where a person answers by hand when `agent.backend` is `inbox`. */
  readonly inbox: InboxBackend;
  readonly #d: AgentServiceDeps;

  constructor(d: AgentServiceDeps) {
    this.#d = d;
    this.inbox = d.inbox;
    this.asker = new AgentAsker({
      selfId: d.selfId,
      hub: d.hub,
      store: d.store,
      changed: d.changed,
      delta: d.delta,
    });
    this.answerer = new AgentAnswerer({
      selfId: d.selfId,
      hub: d.hub,
      store: d.store,
      log: d.log,
      allowRemote: () => d.settings.get(agentAllowRemote),
      defaultApproval: () => d.settings.get(agentDefaultApproval),
      ratePerMinute: () => d.settings.get(agentRatePerMinute),
      backend: () =>
        backendForSettings(d.settings, {
          inbox: d.inbox,
          onStderr: (text, requestId) =>
            d.log.info("agent: the program wrote to stderr", { requestId, text }),
        }),
      changed: d.changed,
      awaitingApproval: (ask) =>
        d.notices.add({
          kind: "agent_question",
          peer: { node_id: ask.peer_id, node_name: ask.peer_name },
          text: `${ask.peer_name} asks your agent: ${preview(ask.prompt)}`,
          action: { label: "Review", paneId: "agent", params: { request: ask.request_id } },
        }),
      ...(d.approvalMs === undefined ? {} : { approvalMs: d.approvalMs }),
    });
  }

  /** Asks and waits for the end: the answer, or why there is none. */
  async askAndWait(
    peerId: string,
    prompt: string,
    onDelta?: (delta: string) => void,
  ): Promise<AskPeerResponse> {
    const started = this.asker.ask(peerId, prompt, onDelta);
    return "done" in started ? started.done : started;
  }

  policyOf(peerId: string): ApprovalPolicy {
    return this.#d.store.policyOf(peerId) ?? this.#d.settings.get(agentDefaultApproval);
  }

  /** Sets a known peer's policy, audited; false for a peer this node does not know. */
  setPolicy(peerId: string, policy: ApprovalPolicy): boolean {
    const before = this.#d.store.policyOf(peerId);
    if (!this.#d.peers.setAgentPolicy(peerId, policy)) return false;
    if (before !== policy)
      this.#d.audit.record("agent_policy", peerId, { from: before ?? "default", to: policy });
    this.#d.hub.emitRow(peerId);
    return true;
  }

  list(limit?: number): AgentAsk[] {
    return this.#d.store.list(limit);
  }

  stop(): void {
    this.answerer.stop();
  }
}

/** The first line of a question, short enough for a notice. */
function preview(prompt: string): string {
  const line = prompt.replace(/\s+/g, " ").trim();
  return line.length > 120 ? `${line.slice(0, 119)}…` : line;
}
