import { type AgentBackend, AgentBackendError, type AgentQuestion } from "./agent-backend.ts";

/** `agent.backend` = none: every question is refused, at once, without looking at it. */
export class NoneBackend implements AgentBackend {
  readonly kind = "none";

  // biome-ignore lint/correctness/useYield: refusing is the whole answer
  async *answer(_q: AgentQuestion, _signal: AbortSignal): AsyncGenerator<string> {
    throw new AgentBackendError("unavailable", "this node has no agent");
  }
}
