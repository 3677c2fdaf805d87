import type { z } from "zod";
import {
  AGENT_REFUSALS,
  type AgentAsk,
  type ApprovalPolicy,
  type agentRequestData,
} from "../../protocol/agent.ts";
import type { PeerDataOf } from "../../protocol/peer-messages.ts";
import type { PeerHub } from "../fabric/peer-hub.ts";
import type { Logger } from "../log.ts";
import { type AgentBackend, AgentBackendError } from "./agent-backend.ts";
import { gate, PerPeerRate } from "./agent-gate.ts";
import { type AgentStore, FINAL_STATES } from "./agent-store.ts";

type AgentRequest = z.output<typeof agentRequestData>;

/** How long a question waits for its person before it counts as rejected. */
export const APPROVAL_WAIT_MS = 10 * 60_000;

export interface AnswererDeps {
  selfId: string;
  hub: PeerHub;
  store: AgentStore;
  log: Logger;
  allowRemote(): boolean;
  defaultApproval(): ApprovalPolicy;
  ratePerMinute(): number;
  /** The backend for this question, built from the settings as they are now. */
  backend(): AgentBackend;
  /** An ask changed: tabs show it. */
  changed(ask: AgentAsk): void;
  /** A question waits for this node's person: the inbox says so. */
  awaitingApproval(ask: AgentAsk): void;
  /** Test hook: how long a question waits for its person. */
  approvalMs?: number;
}

/** A question being decided or answered here. */
interface Live {
  abort: AbortController;
  /** The answer so far, one entry per `agent_stream` sent: resent whole to a repeat. */
  deltas: string[];
  /** Settles the wait for the person's decision, while there is one. */
  decide?: (approved: boolean) => void;
}

/**
 * The node asked (docs/architecture.md, "Agents"): each `agent_request` is stored, passed through
 * the gate, decided by the peer's approval policy (its person, for `ask`), answered by the backend
 * with no tools and nothing of this node but the question, and ended with one `agent_result`.
 * Replies go to whichever link the peer has at that moment, so a link switch loses nothing; a
 * repeated request id is answered from the store, never run twice.
 */
export class AgentAnswerer {
  readonly #d: AnswererDeps;
  readonly #rate: PerPeerRate;
  readonly #live = new Map<string, Live>();
  /** How long a question waits for its person; tests shorten it. */
  approvalWaitMs: number;

  constructor(deps: AnswererDeps) {
    this.#d = deps;
    this.#rate = new PerPeerRate(deps.ratePerMinute);
    this.approvalWaitMs = deps.approvalMs ?? APPROVAL_WAIT_MS;
  }

  /** An `agent_request` from `peerId`, parsed; from any linked peer, trusted or not. */
  request(peerId: string, req: AgentRequest): void {
    const key = liveKey(peerId, req.request_id);
    const known = this.#d.store.get("in", peerId, req.request_id);
    if (known) {
      this.#replay(peerId, known);
      return;
    }
    const d = this.#d;
    // Ids are the asker's, 128 random bits: the same one from another peer while the first runs
    // is no accident, and the inbox, which knows questions by id, must not mix the two up.
    if ([...this.#live.keys()].some((k) => k.endsWith(`/${req.request_id}`))) {
      this.#send(peerId, "agent_result", {
        request_id: req.request_id,
        ok: false,
        error: "request id in use",
      });
      return;
    }
    const verdict = gate({
      selfId: d.selfId,
      trusted: d.hub.row(peerId)?.trusted === true,
      allowRemote: d.allowRemote(),
      originChain: req.origin_chain,
      prompt: req.prompt,
      takeRate: () => this.#rate.take(peerId),
      policy: d.store.policyOf(peerId) ?? d.defaultApproval(),
    });
    if ("refused" in verdict) {
      const reason = verdict.refused;
      d.store.add("in", peerId, req.request_id, req.prompt, "rejected", { error: reason, decision: reason });
      const ask = d.store.get("in", peerId, req.request_id);
      if (ask) d.changed(ask);
      this.#send(peerId, "agent_receipt", { request_id: req.request_id, status: "rejected", reason });
      this.#send(peerId, "agent_result", { request_id: req.request_id, ok: false, error: reason });
      return;
    }
    const waiting = verdict.approval === "ask";
    d.store.add(
      "in",
      peerId,
      req.request_id,
      req.prompt,
      waiting ? "waiting_approval" : "thinking",
      waiting ? {} : { decision: "always" },
    );
    const live: Live = { abort: new AbortController(), deltas: [] };
    this.#live.set(key, live);
    void this.#run(peerId, req, live, waiting).catch((err: unknown) => {
      d.log.error("agent: answering failed", { error: (err as Error).message });
      this.#finish(peerId, req.request_id, { state: "failed", error: "the agent failed" });
    });
  }

  /** `agent_cancel`: the asker called the question off. */
  cancel(peerId: string, requestId: string): void {
    const live = this.#live.get(liveKey(peerId, requestId));
    if (!live) return;
    live.decide?.(false);
    live.abort.abort();
  }

  /** This node's person approved or rejected a waiting question; false when none waits. */
  decide(peerId: string, requestId: string, approved: boolean): boolean {
    const live = this.#live.get(liveKey(peerId, requestId));
    if (!live?.decide) return false;
    live.decide(approved);
    return true;
  }

  /** Calls off everything running (the node stops). */
  stop(): void {
    for (const live of this.#live.values()) {
      live.decide?.(false);
      live.abort.abort();
    }
  }

  async #run(peerId: string, req: AgentRequest, live: Live, waiting: boolean): Promise<void> {
    const d = this.#d;
    const id = req.request_id;
    if (waiting) {
      this.#send(peerId, "agent_receipt", { request_id: id, status: "pending" });
      const ask = d.store.get("in", peerId, id);
      if (ask) {
        d.changed(ask);
        d.awaitingApproval(ask);
      }
      const decision = await this.#approval(live);
      if (decision !== "approved") {
        const reason = live.abort.signal.aborted
          ? "cancelled"
          : decision === "lapsed"
            ? AGENT_REFUSALS.undecided
            : AGENT_REFUSALS.rejected;
        const state = live.abort.signal.aborted ? "cancelled" : "rejected";
        this.#finish(peerId, id, { state, error: reason, decision: reason });
        return;
      }
      this.#update(peerId, id, { state: "thinking", decision: "approved" });
    } else {
      const ask = d.store.get("in", peerId, id);
      if (ask) d.changed(ask);
    }
    this.#send(peerId, "agent_receipt", { request_id: id, status: "approved" });
    this.#send(peerId, "agent_receipt", { request_id: id, status: "processing" });
    const question = {
      requestId: id,
      fromId: peerId,
      fromName: d.hub.row(peerId)?.node_name ?? peerId,
      prompt: req.prompt,
    };
    try {
      for await (const delta of d.backend().answer(question, live.abort.signal)) {
        if (delta === "") continue;
        const seq = live.deltas.push(delta) - 1;
        if (seq === 0) this.#update(peerId, id, { state: "streaming" });
        this.#send(peerId, "agent_stream", { request_id: id, seq, delta });
      }
      this.#finish(peerId, id, { state: "done", answer: live.deltas.join("") });
    } catch (err) {
      const cancelled = err instanceof AgentBackendError && err.code === "cancelled";
      const message = err instanceof AgentBackendError ? err.message : "the agent failed";
      if (!(err instanceof AgentBackendError)) d.log.error("agent: backend broke", { error: String(err) });
      else if (err.detail) d.log.info("agent: question failed", { code: err.code, detail: err.detail });
      this.#finish(peerId, id, {
        state: cancelled ? "cancelled" : "failed",
        answer: live.deltas.join(""),
        error: message,
      });
    }
  }

  /** Waits for the person, the asker's cancel, or the deadline. */
  #approval(live: Live): Promise<"approved" | "rejected" | "lapsed"> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => settle("lapsed"), this.approvalWaitMs);
      const settle = (v: "approved" | "rejected" | "lapsed") => {
        clearTimeout(timer);
        delete live.decide;
        resolve(v);
      };
      live.decide = (approved) => settle(approved ? "approved" : "rejected");
    });
  }

  /** A repeat of a question this node has: where it is, and the answer so far or whole. */
  #replay(peerId: string, ask: AgentAsk): void {
    const id = ask.request_id;
    if (FINAL_STATES.has(ask.state)) {
      this.#sendResult(peerId, ask);
      return;
    }
    const status = ask.state === "waiting_approval" ? "pending" : "processing";
    this.#send(peerId, "agent_receipt", { request_id: id, status });
    const live = this.#live.get(liveKey(peerId, id));
    for (const [seq, delta] of (live?.deltas ?? []).entries()) {
      this.#send(peerId, "agent_stream", { request_id: id, seq, delta });
    }
  }

  #finish(peerId: string, id: string, change: Parameters<AgentStore["update"]>[3]): void {
    this.#live.delete(liveKey(peerId, id));
    const ask = this.#update(peerId, id, change);
    if (!ask) return;
    if (ask.state === "rejected") {
      this.#send(peerId, "agent_receipt", { request_id: id, status: "rejected", reason: ask.error ?? "" });
    }
    this.#sendResult(peerId, ask);
  }

  #sendResult(peerId: string, ask: AgentAsk): void {
    this.#send(
      peerId,
      "agent_result",
      ask.state === "done"
        ? { request_id: ask.request_id, ok: true, answer: ask.answer }
        : { request_id: ask.request_id, ok: false, error: ask.error ?? ask.state },
    );
  }

  #update(peerId: string, id: string, change: Parameters<AgentStore["update"]>[3]): AgentAsk | undefined {
    const ask = this.#d.store.update("in", peerId, id, change);
    if (ask) this.#d.changed(ask);
    return ask;
  }

  /** Sends on the peer's link as it is now; nothing when it has none (the asker resends). */
  #send<T extends "agent_receipt" | "agent_stream" | "agent_result">(
    peerId: string,
    type: T,
    data: PeerDataOf<T>,
  ): void {
    this.#d.hub.session(peerId)?.send(type, data);
  }
}

const liveKey = (peerId: string, requestId: string) => `${peerId}/${requestId}`;
