import type { ChatStatus } from "../../protocol/chat.ts";

/**
 * How far an outgoing message got, as the bubble shows it. `sending` is this tab's own state for
 * a message the node has not echoed yet; the rest are the wire's statuses.
 */
export type ShownStatus = ChatStatus | "sending";

export type StatusIcon = "clock" | "tick" | "double-tick" | "read" | "failed";

export interface StatusView {
  icon: StatusIcon;
  /** Short words for a tooltip and screen readers. */
  label: string;
  tone: "muted" | "accent" | "danger";
}

const VIEWS: Record<ShownStatus, StatusView> = {
  sending: { icon: "clock", label: "Sending…", tone: "muted" },
  queued: { icon: "clock", label: "Queued: goes out when the link is up", tone: "muted" },
  sent: { icon: "tick", label: "Sent", tone: "muted" },
  delivered: { icon: "double-tick", label: "Delivered", tone: "muted" },
  read: { icon: "read", label: "Read", tone: "accent" },
  failed: { icon: "failed", label: "Not delivered", tone: "danger" },
};

export function statusView(status: ShownStatus): StatusView {
  return VIEWS[status];
}

/** Statuses in the order a message moves through them; `failed` ends a message that never arrived. */
const RANK: Record<ChatStatus, number> = { queued: 0, sent: 1, delivered: 2, read: 3, failed: 1.5 };

/**
 * The status after a receipt: statuses only move forward, so a late `sent` cannot undo `read`.
 * `failed` replaces `queued` or `sent` only: a message the peer stored did arrive.
 */
export function advanceStatus(current: ChatStatus, next: ChatStatus): ChatStatus {
  if (next === current) return current;
  if (next === "failed") return current === "queued" || current === "sent" ? "failed" : current;
  if (current === "failed") return next === "delivered" || next === "read" ? next : current;
  return RANK[next] > RANK[current] ? next : current;
}
