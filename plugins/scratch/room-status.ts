import type { CollabStatus } from "../sdk/index.ts";

/** What the status chip shows. */
export type RoomView = "live" | "joining" | "reconnecting" | "offline" | "unavailable";

/**
 * The status a user reads: a room that was live and is joining again is "reconnecting"; one that
 * never went live and got an error is "unavailable" (the node does not host rooms, or refused).
 */
export function roomView(status: CollabStatus, wasLive: boolean, error: string | null): RoomView {
  if (status === "live") return "live";
  if (status === "offline") return "offline";
  if (wasLive) return "reconnecting";
  return error === null ? "joining" : "unavailable";
}

export const ROOM_LABELS: Record<RoomView, string> = {
  live: "Live",
  joining: "Joining…",
  reconnecting: "Reconnecting…",
  offline: "Offline · edits kept",
  unavailable: "Unavailable",
};
