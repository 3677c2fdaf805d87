import { randomBytes } from "node:crypto";
import type { z } from "zod";
import type {
  AgentAsk,
  AskPeerResponse,
  AskState,
  agentReceiptData,
  agentResultData,
  agentStreamData,
} from "../../protocol/agent.ts";
import type { PeerHub } from "../fabric/peer-hub.ts";
import type { AgentStore } from "./agent-store.ts";
import { FINAL_STATES } from "./agent-store.ts";

/** What the REST call and the MCP tool answer for a peer that cannot be asked now. */
export const NO_CONNECTED_PEER = "no connected peer";

export interface AskerDeps {
  selfId: string;
  hub: PeerHub;
  store: AgentStore;
  /** An ask changed: tabs show it. */
  changed(ask: AgentAsk): void;
  /** A new part of the answer to an ask of this node: tabs append it. */
  delta(requestId: string, delta: string): void;
}

/** One ask in flight here: the deltas seen (by seq) and who waits for its end. */
interface InFlight {
  peerId: string;
  /** Where the ask is, as stored: receipts that change nothing cost no write. */
  state: AskState;
  deltas: string[];
  waiters: Array<(r: AskPeerResponse) => void>;
  onDelta: Array<(delta: string) => void>;
}

/**
 * The asking side (docs/architecture.md, "Agents"): an ask is stored, then sent; receipts, parts of
 * the answer and the result move it along. A question without a result is sent again, with the
 * same id, whenever its peer links again, so a link switch loses nothing and the node asked, which
 * keys by that id, never runs it twice.
 */
export class AgentAsker {
  readonly #d: AskerDeps;
  readonly #inFlight = new Map<string, InFlight>();

  constructor(deps: AskerDeps) {
    this.#d = deps;
  }

  /**
   * Asks `peerId`'s agent and resolves once the peer answered, refused or failed (or the ask is
   * cancelled). `onDelta` hears each new part of the answer. A peer that is unknown, untrusted or
   * not linked now gets `no connected peer`, and nothing is stored.
   */
  ask(
    peerId: string,
    prompt: string,
    onDelta?: (delta: string) => void,
  ): { requestId: string; done: Promise<AskPeerResponse> } | AskPeerResponse {
    const d = this.#d;
    const session = d.hub.session(peerId);
    if (!session || d.hub.row(peerId)?.trusted !== true) return { ok: false, error: NO_CONNECTED_PEER };
    const requestId = randomBytes(16).toString("hex");
    d.store.add("out", peerId, requestId, prompt, "sent");
    const flight: InFlight = {
      peerId,
      state: "sent",
      deltas: [],
      waiters: [],
      onDelta: onDelta ? [onDelta] : [],
    };
    this.#inFlight.set(requestId, flight);
    const done = new Promise<AskPeerResponse>((resolve) => flight.waiters.push(resolve));
    this.#publish(d.store.get("out", peerId, requestId));
    session.send("agent_request", { request_id: requestId, prompt, origin_chain: [d.selfId] });
    return { requestId, done };
  }

  /** Calls off an ask of this node; false when there is none in flight by that id. */
  cancel(requestId: string): boolean {
    const ask = this.#d.store.outgoing(requestId);
    if (!ask || FINAL_STATES.has(ask.state)) return false;
    this.#d.hub.session(ask.peer_id)?.send("agent_cancel", { request_id: requestId });
    this.#end(
      ask.peer_id,
      requestId,
      { state: "cancelled", error: "cancelled" },
      { ok: false, error: "cancelled" },
    );
    return true;
  }

  receipt(peerId: string, r: z.output<typeof agentReceiptData>): void {
    const flight = this.#mine(peerId, r.request_id);
    if (!flight) return;
    if (r.status === "rejected") {
      // The gate's or the person's no: the ask ends here, and the result that follows is a repeat.
      const error = r.reason ?? "rejected";
      this.#end(peerId, r.request_id, { state: "rejected", error }, { ok: false, error });
      return;
    }
    const state = r.status === "pending" ? "waiting_approval" : "thinking";
    // A receipt never moves an ask back (a repeat's receipt may come after parts of the answer).
    if (flight.state === state || (flight.state === "streaming" && state === "thinking")) return;
    flight.state = state;
    this.#publish(this.#d.store.update("out", peerId, r.request_id, { state }));
  }

  stream(peerId: string, s: z.output<typeof agentStreamData>): void {
    const flight = this.#mine(peerId, s.request_id);
    // Parts come in order on a link; after a switch the node asked sends them all again.
    if (!flight || s.seq !== flight.deltas.length) return;
    flight.deltas.push(s.delta);
    // The store hears that it streams once, and the whole answer with the result: a part is not
    // worth a write, and a crash resends the ask, answered from the peer's store. Tabs hear the
    // state first, then each part alone, which they append.
    if (flight.deltas.length === 1) {
      flight.state = "streaming";
      this.#publish(this.#d.store.update("out", peerId, s.request_id, { state: "streaming" }));
    }
    for (const l of flight.onDelta) l(s.delta);
    this.#d.delta(s.request_id, s.delta);
  }

  result(peerId: string, r: z.output<typeof agentResultData>): void {
    if (!this.#mine(peerId, r.request_id)) return;
    if (r.ok) {
      const answer = r.answer ?? "";
      this.#end(peerId, r.request_id, { state: "done", answer }, { ok: true, answer });
    } else {
      const error = r.error ?? "failed";
      this.#end(peerId, r.request_id, { state: "failed", error }, { ok: false, error });
    }
  }

  /** The peer linked (again): every question to it without a result goes again, same id. */
  linked(peerId: string): void {
    const session = this.#d.hub.session(peerId);
    if (!session) return;
    for (const ask of this.#d.store.unfinishedOut(peerId)) {
      if (!this.#inFlight.has(ask.request_id)) {
        this.#inFlight.set(ask.request_id, {
          peerId,
          state: ask.state,
          deltas: [],
          waiters: [],
          onDelta: [],
        });
      }
      session.send("agent_request", {
        request_id: ask.request_id,
        prompt: ask.prompt,
        origin_chain: [this.#d.selfId],
      });
    }
  }

  /**
   * The ask of this node to `peerId` by that id, while it is open: every open ask has a flight
   * here (made when asked, or when its peer links again after a restart). A frame about anything
   * else is ignored.
   */
  #mine(peerId: string, requestId: string): InFlight | undefined {
    const flight = this.#inFlight.get(requestId);
    return flight?.peerId === peerId ? flight : undefined;
  }

  #end(
    peerId: string,
    requestId: string,
    change: Parameters<AgentStore["update"]>[3],
    r: AskPeerResponse,
  ): void {
    const flight = this.#inFlight.get(requestId);
    // What arrived of an answer that did not finish is kept with it.
    const partial = flight && flight.deltas.length > 0 ? { answer: flight.deltas.join("") } : {};
    const ask = this.#d.store.update("out", peerId, requestId, { ...partial, ...change });
    this.#inFlight.delete(requestId);
    this.#publish(ask);
    for (const w of flight?.waiters ?? []) w(r);
  }

  #publish(ask: AgentAsk | undefined): void {
    if (ask) this.#d.changed(ask);
  }
}
