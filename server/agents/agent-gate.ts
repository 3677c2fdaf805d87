import {
  AGENT_REFUSALS,
  type ApprovalPolicy,
  MAX_PEER_HOPS,
  MAX_PROMPT_BYTES,
} from "../../protocol/agent.ts";

/** What the gate knows of a question and of the node asked, at the moment it arrives. */
export interface GateInput {
  selfId: string;
  /** The asking peer is trusted (and so not blocked) by this node. */
  trusted: boolean;
  /** `agent.allowRemote`. */
  allowRemote: boolean;
  originChain: readonly string[];
  prompt: string;
  /** Whether the peer's rate still allows one more question now (taken only if all before passed). */
  takeRate(): boolean;
  /** The peer's own policy, or `agent.defaultApproval`. */
  policy: ApprovalPolicy;
}

/** The gate's verdict: a refusal with the reason the asker sees, or how the question goes on. */
export type GateVerdict = { refused: string } | { approval: "ask" | "always" };

/**
 * The gate on the node asked, in its fixed order (docs/architecture.md, "Agents"): trust, agents
 * on at all, a loop, too many hops, the peer's rate, the prompt's size, then the approval policy.
 * The first check that fails is the reason given; a question refused early spends no rate.
 */
export function gate(q: GateInput): GateVerdict {
  if (!q.trusted) return { refused: AGENT_REFUSALS.notTrusted };
  if (!q.allowRemote) return { refused: AGENT_REFUSALS.disabled };
  if (q.originChain.includes(q.selfId)) return { refused: AGENT_REFUSALS.loop };
  if (q.originChain.length > MAX_PEER_HOPS) return { refused: AGENT_REFUSALS.maxHops };
  if (!q.takeRate()) return { refused: AGENT_REFUSALS.rateLimited };
  if (Buffer.byteLength(q.prompt, "utf8") > MAX_PROMPT_BYTES) return { refused: AGENT_REFUSALS.tooLarge };
  if (q.policy === "never") return { refused: AGENT_REFUSALS.never };
  return { approval: q.policy };
}

/**
 * Questions per peer in a sliding minute. Memory stays bounded: a peer's list never holds more
 * than its limit, and a peer whose minute is over is forgotten at its next question or sweep.
 */
export class PerPeerRate {
  readonly #times = new Map<string, number[]>();
  readonly #limit: () => number;

  constructor(limitPerMinute: () => number) {
    this.#limit = limitPerMinute;
  }

  take(peerId: string, now = Date.now()): boolean {
    const recent = (this.#times.get(peerId) ?? []).filter((t) => now - t < 60_000);
    if (recent.length >= this.#limit()) {
      this.#times.set(peerId, recent);
      return false;
    }
    recent.push(now);
    this.#times.set(peerId, recent);
    return true;
  }
}
