import type { RoomAccess } from "../../protocol/collab.ts";
import type { CollabStatus, StatusTone } from "../sdk/index.ts";

/** What the status chip shows. */
export type RoomView =
  | "live"
  | "private"
  | "joining"
  | "reconnecting"
  | "offline"
  | "unavailable"
  | "readonly";

/**
 * The status a user reads: a room whose owner stopped sharing it is "readonly" whatever the link
 * does; a live room is "live" only while someone else can see it (shared, or someone else's),
 * else "private"; a room that was live and is joining again is "reconnecting"; one that never went
 * live and got an error is "unavailable" (the node does not host rooms, or refused).
 */
export function roomView(
  status: CollabStatus,
  wasLive: boolean,
  error: string | null,
  access: RoomAccess = "owner",
  shared = true,
): RoomView {
  if (access === "revoked") return "readonly";
  if (status === "live") return shared || access !== "owner" ? "live" : "private";
  if (status === "offline") return "offline";
  if (wasLive) return "reconnecting";
  return error === null ? "joining" : "unavailable";
}

export const ROOM_LABELS: Record<RoomView, string> = {
  live: "Live",
  private: "Only you",
  joining: "Joining…",
  reconnecting: "Reconnecting…",
  offline: "Offline · edits kept",
  unavailable: "Unavailable",
  readonly: "Read-only",
};

/** The chip's dot: trouble when edits stay in this tab, nothing to report for a room of one. */
export const ROOM_TONES: Record<RoomView, StatusTone> = {
  live: "ok",
  private: "idle",
  joining: "busy",
  reconnecting: "busy",
  offline: "bad",
  unavailable: "bad",
  readonly: "idle",
};
