/**
 * How the Lobby pane words what the node reports: the socket's status, the countdown to the next
 * try, rooms' settings and members, and a guest's key in a form two people can compare.
 */

import type { RoomSummary } from "../../protocol/lobby.ts";
import type { LobbyStatus } from "../../protocol/lobby-channel.ts";
import { type StatusTone, toMillis } from "../sdk/index.ts";

const STATUS: Record<LobbyStatus, { label: string; tone: StatusTone }> = {
  off: { label: "Not connected", tone: "idle" },
  connecting: { label: "Connecting…", tone: "busy" },
  connected: { label: "Connected", tone: "ok" },
  retrying: { label: "Connection lost, retrying", tone: "bad" },
};

export function lobbyStatusLabel(status: LobbyStatus): string {
  return STATUS[status].label;
}

export function lobbyStatusTone(status: LobbyStatus): StatusTone {
  return STATUS[status].tone;
}

/** "next try in 12 s", "next try in 2 min 5 s", or "trying again now" once the time has come. */
export function retryCountdown(retryAt: number | null, now: number): string {
  if (retryAt === null) return "trying again soon";
  const left = Math.ceil((toMillis(retryAt) - now) / 1000);
  if (left <= 0) return "trying again now";
  if (left < 60) return `next try in ${left} s`;
  const minutes = Math.floor(left / 60);
  const seconds = left % 60;
  return seconds === 0 ? `next try in ${minutes} min` : `next try in ${minutes} min ${seconds} s`;
}

/**
 * The first 16 characters of a public key: enough for two people to compare over a call, and
 * what the pane shows beside a guest who asks to join.
 */
export function keyFingerprint(publicKey: string): string {
  return publicKey.slice(0, 16);
}

export function visibilityLabel(visibility: RoomSummary["visibility"]): string {
  return visibility === "public" ? "Public" : "Unlisted";
}

/** What a room's policy means for a guest, from the host's side. */
export function policyLabel(policy: RoomSummary["policy"]): string {
  return policy === "open" ? "You accept each guest" : "Guests need the token";
}

/** The same, from the guest's side: what joining will take. */
export function policyForGuest(policy: RoomSummary["policy"]): string {
  return policy === "open" ? "Host accepts each guest" : "Needs a token";
}

/** "1 member", "3 members" (the host counts). */
export function membersLabel(members: number): string {
  return members === 1 ? "1 member" : `${members} members`;
}

/** As many dots as the token has characters, so the masked token keeps its width. */
export function maskToken(token: string): string {
  return "•".repeat(token.length);
}

/** A room named by what is known of it: its name, or the start of its id. */
export function roomLabel(name: string | null, roomId: string): string {
  return name ? `“${name}”` : `room ${roomId.slice(0, 8)}…`;
}
