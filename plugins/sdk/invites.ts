/**
 * Invites as a person handles them, for any pane: checking what was pasted before anything is
 * dialed, previewing whom it pairs with, and saying how long one has left.
 */
import type { PeerRow } from "../../protocol/network.ts";
import { INVITE_PREFIX } from "../../protocol/peer.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * Epoch milliseconds from a timestamp that may be in seconds. The wire says "epoch" without a unit
 * in places; 1e12 ms is 2001 while 1e12 s is far in the future, so the two cannot be confused.
 */
export function toMillis(ts: number): number {
  return ts < 1e12 ? ts * 1000 : ts;
}

/**
 * "expires in 23 h 59 min": whole minutes, rounded down, so the countdown never promises time the
 * invite does not have.
 */
export function formatExpiry(expires: number, now: number): string {
  const left = toMillis(expires) - now;
  if (left <= 0) return "expired";
  if (left < MINUTE) return "expires in under a minute";
  const days = Math.floor(left / DAY);
  const hours = Math.floor((left % DAY) / HOUR);
  const minutes = Math.floor((left % HOUR) / MINUTE);
  if (days > 0) return `expires in ${days} d ${hours} h`;
  if (hours > 0) return `expires in ${hours} h ${minutes} min`;
  return `expires in ${minutes} min`;
}

/** The first half of a node id: enough to tell peers apart at a glance. */
export function shortId(nodeId: string): string {
  return nodeId.length > 8 ? nodeId.slice(0, 8) : nodeId;
}

export type Checked = { ok: true; value: string } | { ok: false; error: string };

/** What a garbled paste is told, whichever way it is garbled: one message, one next step. */
export const DAMAGED_INVITE =
  "This invite is damaged: it does not decode. Copy the whole invite again, from “weft1.” to its last character.";

/**
 * An invite as pasted: surrounding whitespace (and line breaks from chat apps) is dropped. A paste
 * that does not decode is refused here, so it never starts a pairing that can only fail.
 */
export function checkInvite(text: string): Checked {
  const value = text.replace(/\s+/g, "");
  if (value === "") return { ok: false, error: "Paste an invite first." };
  if (!value.startsWith(INVITE_PREFIX)) {
    return { ok: false, error: `That is not a weft invite: invites start with “${INVITE_PREFIX}”.` };
  }
  if (value.length > 4096) return { ok: false, error: "That invite is too long to be real." };
  if (readInvite(value) === null) return { ok: false, error: DAMAGED_INVITE };
  return { ok: true, value };
}

/** What an invite says about its issuer, for a preview; null when it does not decode. */
export interface InvitePreview {
  nodeId: string;
  /** The name the inviter gave itself, if the invite carries one. */
  name: string | null;
  addresses: string[];
  expires: number;
}

/**
 * Reads the invite's payload (base64url JSON `{ n, k, p, t, e, m? }`) to preview it, to catch pasting
 * one's own or an expired invite, and to refuse one that does not decode. The node still decides
 * whether a readable one is valid. Checked by hand: the protocol's invite schema checks key bytes
 * with Node's Buffer, which a browser does not have.
 */
export function readInvite(invite: string): InvitePreview | null {
  if (!invite.startsWith(INVITE_PREFIX)) return null;
  const body = invite.slice(INVITE_PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(body)) return null;
  let json: unknown;
  try {
    const b64 = body.replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
  if (typeof json !== "object" || json === null) return null;
  const { n, k, a, p, t, e, m } = json as Record<string, unknown>;
  if (typeof n !== "string" || n === "" || typeof e !== "number") return null;
  if (typeof k !== "string" || typeof t !== "string") return null;
  // Typed paths `p: [{ transport, address }]`, or the bare addresses older invites carry in `a`.
  const fromPaths = Array.isArray(p)
    ? p
        .map((x) => (x as { address?: unknown } | null)?.address)
        .filter((x): x is string => typeof x === "string")
    : [];
  const addresses =
    fromPaths.length > 0
      ? fromPaths
      : Array.isArray(a)
        ? a.filter((x): x is string => typeof x === "string")
        : [];
  if (addresses.length === 0) return null;
  const name = typeof m === "string" && m.trim() !== "" ? m.trim().slice(0, 64) : null;
  return { nodeId: n, name, addresses, expires: e };
}

/** Why a readable invite cannot be redeemed from this node now, or null when it can be tried. */
export function inviteProblem(preview: InvitePreview, selfId: string | null, now: number): string | null {
  if (preview.nodeId === selfId) {
    return "This is this node's own invite. Send it to the person you want to pair with.";
  }
  if (toMillis(preview.expires) <= now) return "This invite has expired. Ask its sender for a new one.";
  return null;
}

/**
 * Whom the invite pairs you with, in words: their name when already met; else the name the invite
 * gives (theirs to choose, so with the start of the node id that pairing will pin); else the id.
 */
export function inviteIssuer(preview: InvitePreview, known: readonly PeerRow[]): string {
  const peer = known.find((p) => p.node_id === preview.nodeId);
  if (peer?.node_name) return `From ${peer.node_name}, already one of your peers`;
  if (preview.name) return `From ${preview.name} (node ID ${shortId(preview.nodeId)}…), new to you`;
  return `From someone new, whose node ID starts ${shortId(preview.nodeId)}`;
}
