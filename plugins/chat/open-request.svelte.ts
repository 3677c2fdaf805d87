import type { PaneHost } from "../sdk/index.ts";

/** A wish to see one conversation with the composer focused, e.g. from a notice's Reply. */
export interface OpenRequest {
  nodeId: string;
  /** Distinguishes two requests for the same conversation, so each one is honoured. */
  seq: number;
}

class OpenRequests {
  current = $state.raw<OpenRequest | null>(null);
  #seq = 0;

  ask(nodeId: string): void {
    this.current = { nodeId, seq: ++this.#seq };
  }

  /** The Chat pane took the request; a later mount must not act on it again. */
  done(request: OpenRequest): void {
    if (this.current === request) this.current = null;
  }
}

/** The tab's pending request; the Chat pane reads it whether it was open already or mounts now. */
export const openRequests = new OpenRequests();

/** Opens (or focuses) the Chat pane on `nodeId`'s conversation, ready to type. */
export function replyTo(host: PaneHost, nodeId: string): void {
  openRequests.ask(nodeId);
  host.openPane("chat");
}
