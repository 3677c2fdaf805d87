import { z } from "zod";
import { b64Bytes, base64Text, hexId128, nodeId } from "./primitives.ts";
import { PROTOCOL_VERSION } from "./version.ts";

/**
 * The peer wire on `/peer-ws` (docs/architecture.md). Every frame is a JSON envelope with one header;
 * a **signed** envelope carries `data` and an Ed25519 `sig` (handshake, anything outside a
 * session), a **sealed** one carries `n` and an AES-256-GCM `box` (everything after the
 * handshake). The types a node accepts are the handshake's, the session types of `sessionData`, and
 * the feature types registered with the hub (`collab_*`, `chat_*`); anything else gets `error`.
 */

/** A node id (protocol/primitives.ts), under the name this file always gave it. */
export const nodeIdSchema = nodeId;
export { b64Bytes };

const b64 = base64Text();
const msgId = hexId128;

/** A transport's name on the wire: `direct` today, `relay` and `webrtc` next. */
export const transportName = z.string().regex(/^[a-z][a-z0-9-]{0,15}$/, "must be a transport name");
/** The transport of `ws://…/peer-ws` addresses. */
export const DIRECT = "direct";
/**
 * One way to reach a node: a transport and an address that transport understands (a
 * `ws://host:port/peer-ws` URL for `direct`). A node's reachability is a list of these, the
 * preferred first; the dialer skips a path whose transport this node does not have.
 */
export const peerPath = z.strictObject({ transport: transportName, address: z.string().min(1).max(300) });
export type PeerPath = z.infer<typeof peerPath>;
const peerPaths = z.array(peerPath).max(16);
const directAddress = z
  .string()
  .regex(/^wss?:\/\/\S+$/)
  .max(300);

/** Hop budget a frame starts with. */
export const INITIAL_TTL = 8;

const header = {
  v: z.literal(PROTOCOL_VERSION),
  type: z.string().min(1).max(32),
  msg_id: msgId,
  re: msgId.optional(),
  src: nodeIdSchema,
  dst: nodeIdSchema.optional(),
  ts: z.int().nonnegative(),
  ttl: z.int().min(0).max(INITIAL_TTL),
};

export const signedEnvelope = z.strictObject({ ...header, data: z.unknown(), sig: b64Bytes(64) });
export const sealedEnvelope = z.strictObject({
  ...header,
  n: z.int().positive().max(Number.MAX_SAFE_INTEGER),
  box: b64.min(24),
});
export const envelope = z.union([signedEnvelope, sealedEnvelope]);
export type SignedEnvelope = z.infer<typeof signedEnvelope>;
export type SealedEnvelope = z.infer<typeof sealedEnvelope>;
export type Envelope = z.infer<typeof envelope>;
export type EnvelopeHeader = Omit<SignedEnvelope, "data" | "sig">;

const nodeName = z.string().max(64);
const capabilities = z.array(z.string().max(32)).max(32);

/** `hello`: the dialer introduces itself with a fresh nonce and ephemeral X25519 key. */
export const helloData = z.strictObject({
  node_name: nodeName,
  public_key: b64Bytes(32),
  capabilities,
  nonce: b64Bytes(32),
  eph: b64Bytes(32),
});
/** `hello_ack`: the same from the acceptor, echoing the dialer's nonce. */
export const helloAckData = helloData.extend({ echo: b64Bytes(32) });
/**
 * `auth`: the dialer echoes the acceptor's nonce. `token` is the invite token sealed under the
 * dialer's new session key, so a party on the path never sees it.
 */
export const authData = z.strictObject({ echo: b64Bytes(32), token: base64Text(200).optional() });
export const authResultData = z.strictObject({ ok: z.boolean(), reason: z.string().max(200).optional() });
/**
 * `goodbye`: the link is ending on purpose. `hold` means a person chose to disconnect, so neither
 * side redials until someone connects again; without it (a node stopping) redialing goes on.
 */
export const goodbyeData = z.strictObject({
  reason: z.string().max(200).optional(),
  hold: z.boolean().optional(),
});
/**
 * `presence`: sent once a session opens and whenever the sender's name changes; `paths` say how to
 * reach the sender, so either side can redial the other after a drop. `addresses` (direct URLs
 * only) is what nodes sent before paths were typed; it is still read.
 */
export const presenceData = z.strictObject({
  node_name: nodeName,
  paths: peerPaths.optional(),
  addresses: z.array(directAddress).max(16).optional(),
});
export const pingData = z.strictObject({ sent: z.number() });
export const pongData = z.strictObject({ sent: z.number() });
export const errorData = z.strictObject({ code: z.string().max(64), message: z.string().max(500) });

/** The `data` schema of every session (sealed) type. */
export const sessionData = {
  goodbye: goodbyeData,
  presence: presenceData,
  ping: pingData,
  pong: pongData,
  error: errorData,
} as const;
export type SessionType = keyof typeof sessionData;

export type PresenceData = z.infer<typeof presenceData>;
export type GoodbyeData = z.infer<typeof goodbyeData>;
export type ErrorData = z.infer<typeof errorData>;
export type HelloData = z.infer<typeof helloData>;
export type HelloAckData = z.infer<typeof helloAckData>;
export type AuthData = z.infer<typeof authData>;
export type AuthResultData = z.infer<typeof authResultData>;

/**
 * Invite payload: `weft1.` + base64url(JSON of this). `e` is the expiry in ms since the epoch;
 * `m`, the inviter's name, is only for the preview ("From alice"): the key in `k` is what pairing
 * pins, and the handshake tells the name for real.
 */
export const INVITE_PREFIX = "weft1.";
export const invitePayload = z
  .strictObject({
    n: nodeIdSchema,
    k: b64Bytes(32),
    /** How to reach the inviter, the preferred first. */
    p: peerPaths.optional(),
    /** Direct URLs: what invites carried before paths were typed; still redeemed. */
    a: z.array(directAddress).max(16).optional(),
    t: z.string().regex(/^[A-Za-z0-9_-]{22}$/, "must be a 128-bit base64url token"),
    e: z.int().positive(),
    m: z.string().max(64).optional(),
  })
  .refine((v) => (v.p?.length ?? 0) + (v.a?.length ?? 0) > 0, "an invite needs at least one path");
export type InvitePayload = z.infer<typeof invitePayload>;

/** An invite's paths, whichever form it carries them in. */
export function invitePaths(payload: InvitePayload): PeerPath[] {
  return payload.p ?? (payload.a ?? []).map((address) => ({ transport: DIRECT, address }));
}
