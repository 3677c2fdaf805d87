import type { AgentService } from "../agents/agent-service.ts";

/**
 * How `ask_peer` reaches another node's agent. The node passes one in: the agent feature's gated
 * path (the same one a peer's question takes), so the MCP endpoint holds no policy of its own.
 */

/** What an asked peer's agent answered, or why there is no answer (a sentence for the user). */
export interface AskPeerResult {
  ok: boolean;
  answer?: string;
  error?: string;
}

/**
 * Asks the agent of the peer `peerId` a question. `onProgress` is called as the answer comes in
 * (a piece of it, or a short note such as "waiting for the peer"), in order; `signal` aborts when
 * the MCP client cancels the call. Resolves once the answer is complete or has failed; never
 * rejects for a refusal, which is `{ ok: false, error }`.
 */
export type AskPeer = (
  peerId: string,
  prompt: string,
  onProgress: (message: string) => void,
  signal?: AbortSignal,
) => Promise<AskPeerResult>;

/** What a node composed without the agent feature answers (some tests compose fewer features). */
export const cannotAskYet: AskPeer = async () => ({ ok: false, error: "this node cannot ask agents" });

/**
 * `ask_peer` through the agent feature: the same gated path as the Agent pane and
 * `POST /api/network/ask-peer`. Progress is each part of the answer as it arrives; the client's
 * cancel calls the question off at the peer, which stops its backend.
 */
export function askPeerThrough(agents: AgentService): AskPeer {
  return async (peerId, prompt, onProgress, signal) => {
    const started = agents.asker.ask(peerId, prompt, onProgress);
    if (!("done" in started)) return started;
    const cancel = () => agents.asker.cancel(started.requestId);
    signal?.addEventListener("abort", cancel, { once: true });
    try {
      return await started.done;
    } finally {
      signal?.removeEventListener("abort", cancel);
    }
  };
}
