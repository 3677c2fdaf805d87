import { type AgentAsk, type ApprovalPolicy, agentServerEvent } from "../../protocol/agent.ts";
import type { ChannelFrame, PaneHost } from "../sdk/index.ts";
import { agentManifest } from "./manifest.ts";

/** Where a question is, in words a person reads. */
export const STATE_LABEL: Record<AgentAsk["state"], string> = {
  sent: "sent",
  waiting_approval: "waiting for approval",
  thinking: "thinking",
  streaming: "answering…",
  done: "done",
  rejected: "rejected",
  failed: "failed",
  cancelled: "cancelled",
};

const key = (a: Pick<AgentAsk, "direction" | "peer_id" | "request_id">) =>
  `${a.direction}/${a.peer_id}/${a.request_id}`;

/**
 * The node's asks both ways as this tab sees them, kept live from the `agent` channel: every
 * change of an ask replaces it, parts of an answer are appended as they come. The badge counts the
 * questions waiting for this person's decision.
 */
export class AgentPaneStore {
  asks = $state.raw<AgentAsk[]>([]);
  policies = $state.raw<Record<string, ApprovalPolicy>>({});
  answering = $state.raw<{ allowRemote: boolean; backend: string } | null>(null);
  error = $state<string | null>(null);
  readonly #host: PaneHost;

  constructor(host: PaneHost) {
    this.#host = host;
    host.subscribe("agent", (frame) => this.#onFrame(frame));
    host.onReconnect(() => this.refresh());
    host.subscribe("system", (frame) => {
      if (frame.event === "welcome" && this.answering === null) this.refresh();
    });
    this.refresh();
  }

  /** Questions peers asked this node that wait for its person. */
  get waiting(): AgentAsk[] {
    return this.asks.filter((a) => a.direction === "in" && a.state === "waiting_approval");
  }

  refresh(): boolean {
    return this.#host.send("agent", "list", {});
  }

  ask(peerId: string, prompt: string): boolean {
    this.error = null;
    return this.#host.send("agent", "ask", { peer_id: peerId, prompt });
  }

  cancel(ask: AgentAsk): boolean {
    return this.#host.send("agent", "cancel", { request_id: ask.request_id });
  }

  decide(ask: AgentAsk, approve: boolean): boolean {
    return this.#host.send("agent", "decide", { peer_id: ask.peer_id, request_id: ask.request_id, approve });
  }

  /** This person's own answer to a peer's question (the `inbox` backend). */
  reply(ask: AgentAsk, text: string): boolean {
    return this.#host.send("agent", "inbox_reply", { request_id: ask.request_id, text });
  }

  declineByHand(ask: AgentAsk): boolean {
    return this.#host.send("agent", "inbox_decline", { request_id: ask.request_id });
  }

  setPolicy(peerId: string, policy: ApprovalPolicy): boolean {
    return this.#host.send("agent", "set_policy", { peer_id: peerId, policy });
  }

  #onFrame(frame: ChannelFrame): void {
    const parsed = agentServerEvent.safeParse(frame);
    if (!parsed.success) return;
    const ev = parsed.data;
    switch (ev.event) {
      case "list":
        this.asks = ev.data.asks;
        this.policies = ev.data.policies;
        this.answering = ev.data.answering;
        break;
      case "ask": {
        const k = key(ev.data);
        const rest = this.asks.filter((a) => key(a) !== k);
        this.asks = [ev.data, ...rest].sort((a, b) => b.created_at - a.created_at);
        break;
      }
      case "delta":
        this.asks = this.asks.map((a) =>
          a.direction === "out" && a.request_id === ev.data.request_id
            ? { ...a, state: "streaming", answer: a.answer + ev.data.delta }
            : a,
        );
        break;
      case "error":
        this.error = ev.data.message;
        break;
    }
    this.#host.setBadge(agentManifest.id, this.waiting.length);
  }
}

let shared: AgentPaneStore | undefined;

/** The tab's one store, made on first use (at boot, for the badge). */
export function sharedAgentStore(host: PaneHost): AgentPaneStore {
  shared ??= new AgentPaneStore(host);
  return shared;
}
