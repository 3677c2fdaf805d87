/**
 * Checks on what the user pastes or types before anything is sent, and plain-language reasons for
 * the ways a pairing can fail.
 */
import { INVITE_PREFIX } from "../../protocol/peer.ts";

export type Checked = { ok: true; value: string } | { ok: false; error: string };

/** An invite as pasted: surrounding whitespace (and line breaks from chat apps) is dropped. */
export function checkInvite(text: string): Checked {
  const value = text.replace(/\s+/g, "");
  if (value === "") return { ok: false, error: "Paste an invite first." };
  if (!value.startsWith(INVITE_PREFIX)) {
    return { ok: false, error: `That is not a weft invite: invites start with “${INVITE_PREFIX}”.` };
  }
  if (value.length > 4096) return { ok: false, error: "That invite is too long to be real." };
  return { ok: true, value };
}

/** What an invite says about its issuer, for a preview; null when it does not decode. */
export interface InvitePreview {
  nodeId: string;
  addresses: string[];
  expires: number;
}

/**
 * Reads the invite's payload (base64url JSON `{ n, k, a, t, e }`). Only used to preview it and to
 * catch pasting one's own invite; the node decides whether it is valid, so a damaged one is still
 * sent and refused there with the node's own reason. Checked by hand: the protocol's invite schema
 * checks key bytes with Node's Buffer, which a browser does not have.
 */
export function readInvite(invite: string): InvitePreview | null {
  if (!invite.startsWith(INVITE_PREFIX)) return null;
  let json: unknown;
  try {
    const b64 = invite.slice(INVITE_PREFIX.length).replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
  if (typeof json !== "object" || json === null) return null;
  const { n, a, e } = json as Record<string, unknown>;
  if (typeof n !== "string" || typeof e !== "number" || !Array.isArray(a)) return null;
  const addresses = a.filter((x): x is string => typeof x === "string");
  return { nodeId: n, addresses, expires: e };
}

/** A peer address to dial: a `ws://` or `wss://` URL, usually ending in `/peer-ws`. */
export function checkAddress(text: string): Checked {
  const value = text.trim();
  if (value === "") return { ok: false, error: "Type an address first." };
  if (value.length > 300) return { ok: false, error: "That address is too long." };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, error: "Not an address: it should look like ws://192.168.1.20:7420/peer-ws." };
  }
  if (url.protocol !== "ws:" && url.protocol !== "wss:") {
    return { ok: false, error: "Peer addresses start with ws:// or wss://." };
  }
  if (url.hostname === "") return { ok: false, error: "The address has no host." };
  return { ok: true, value };
}

/** Known refusals, by a phrase the node uses, and what the user can do about each. */
const HINTS: ReadonlyArray<[string, string]> = [
  ["already used", "Invites are single-use. Ask for a new one."],
  ["expired", "Ask for a new invite; each one lasts a day unless made longer."],
  ["pairing required", "The other node did not accept this one. Ask for a new invite and redeem it."],
  ["different node", "Someone else now answers at the invite's address. Check with the sender."],
  ["key mismatch", "The node answering does not have the key this pairing pinned. Check with its owner."],
  ["blocked", "The other node has blocked this one."],
  ["own invite", "Send the invite to the person you want to pair with instead."],
  ["damaged", "Copy the invite again in full: a cut-off invite does not decode."],
  ["cannot reach", "The other node may be offline or unreachable from this network."],
  ["timed out", "The other node may be offline or unreachable from this network."],
  ["unreachable", "The other node may be offline or unreachable from this network."],
  ["refused", "The other node may be offline or unreachable from this network."],
];

/** A short next step for a pairing failure, or null when the reason speaks for itself. */
export function failureHint(reason: string): string | null {
  const lower = reason.toLowerCase();
  return HINTS.find(([phrase]) => lower.includes(phrase))?.[1] ?? null;
}
