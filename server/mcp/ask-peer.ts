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

/**
 * What a node answers until the agent feature is composed: it replaces this with its gated path.
 */
export const cannotAskYet: AskPeer = async () => ({ ok: false, error: "this node cannot ask agents yet" });
