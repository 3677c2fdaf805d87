import type { Trust } from "../fabric/trust.ts";
import type { NoticeService } from "./notice-service.ts";

/**
 * Notices for what the acceptor's trust decisions reveal: someone paired with an invite this node
 * minted, or a blocked node knocked (one notice per node per hour, with a count).
 */
export function registerTrustNotices(trust: Trust, notices: NoticeService): () => void {
  return trust.on({
    inviteUsed: (_id, peer) =>
      notices.add({
        kind: "invite_used",
        peer,
        text: `${peer.node_name || peer.node_id} paired with you`,
        action: { label: "Open Peers", paneId: "peers" },
      }),
    blockedAttempt: (peer) =>
      notices.add({
        kind: "blocked_attempt",
        peer,
        text: `A blocked node, ${peer.node_name || peer.node_id}, tried to connect`,
        coalesceKey: `blocked:${peer.node_id}`,
      }),
  });
}
