import { INVITE_PREFIX, type InvitePayload, invitePayload } from "../../protocol/peer.ts";
import { nodeIdFromPublicKey } from "../identity/node-id.ts";

export class InviteFormatError extends Error {
  override readonly name = "InviteFormatError";
}

/** `weft1.` + base64url(JSON {n, k, a, t, e, m?}) (protocol/peer.ts). */
export function encodeInvite(payload: InvitePayload): string {
  return INVITE_PREFIX + Buffer.from(JSON.stringify(payload)).toString("base64url");
}

/** Decodes and checks an invite, including that its node id is the fingerprint of its key. */
export function decodeInvite(text: string): InvitePayload {
  const trimmed = text.trim();
  if (!trimmed.startsWith(INVITE_PREFIX))
    throw new InviteFormatError("not a weft invite (it should start with weft1.)");
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(trimmed.slice(INVITE_PREFIX.length), "base64url").toString("utf8"));
  } catch {
    throw new InviteFormatError("the invite is damaged: it does not decode");
  }
  const parsed = invitePayload.safeParse(json);
  if (!parsed.success) throw new InviteFormatError("the invite is damaged: a field is missing or wrong");
  if (nodeIdFromPublicKey(Buffer.from(parsed.data.k, "base64")) !== parsed.data.n) {
    throw new InviteFormatError("the invite is damaged: its node id does not match its key");
  }
  return parsed.data;
}
