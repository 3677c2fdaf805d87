/**
 * Checks on what the user pastes or types before anything is sent, and plain-language reasons for
 * the ways a pairing can fail.
 */
import type { Checked } from "../sdk/index.ts";

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
