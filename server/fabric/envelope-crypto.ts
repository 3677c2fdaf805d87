import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
  randomBytes,
} from "node:crypto";
import type { EnvelopeHeader, SealedEnvelope, SignedEnvelope } from "../../protocol/peer.ts";
import { INITIAL_TTL } from "../../protocol/peer.ts";
import { PROTOCOL_VERSION } from "../../protocol/version.ts";
import { type NodeIdentity, verifySignature } from "../identity/identity.ts";
import { canonicalBytes } from "./canonical-json.ts";

/** A fresh header; `msg_id` is 128 random bits. */
export function newHeader(
  type: string,
  src: string,
  extra: { dst?: string; re?: string } = {},
): EnvelopeHeader {
  return {
    v: PROTOCOL_VERSION,
    type,
    msg_id: randomBytes(16).toString("hex"),
    ...(extra.re ? { re: extra.re } : {}),
    src,
    ...(extra.dst ? { dst: extra.dst } : {}),
    ts: Date.now(),
    ttl: INITIAL_TTL,
  };
}

/** What a signature covers: everything but `sig`, `dst` and `ttl`, so relays can route and count hops. */
export function signedBytes(env: Omit<SignedEnvelope, "sig">): Uint8Array {
  const { dst: _dst, ttl: _ttl, ...covered } = env;
  return canonicalBytes(covered);
}

export function signEnvelope(identity: NodeIdentity, header: EnvelopeHeader, data: unknown): SignedEnvelope {
  const unsigned = { ...header, data };
  return { ...unsigned, sig: Buffer.from(identity.sign(signedBytes(unsigned))).toString("base64") };
}

export function verifyEnvelope(env: SignedEnvelope, publicKey: Uint8Array): boolean {
  const { sig, ...unsigned } = env;
  return verifySignature(publicKey, signedBytes(unsigned), Buffer.from(sig, "base64"));
}

/** An ephemeral X25519 key pair for one handshake; the private half never leaves memory. */
export interface Ephemeral {
  publicKey: Uint8Array;
  privateKey: KeyObject;
}

export function newEphemeral(): Ephemeral {
  const { publicKey, privateKey } = generateKeyPairSync("x25519");
  const jwk = publicKey.export({ format: "jwk" });
  return { publicKey: new Uint8Array(Buffer.from(jwk.x ?? "", "base64url")), privateKey };
}

/** The two directional AES-256-GCM keys of a session. */
export interface SessionKeys {
  dialerToAcceptor: Buffer;
  acceptorToDialer: Buffer;
}

/**
 * HKDF-SHA256 over the X25519 shared secret, salted with both nonces and bound to both node ids
 * and the handshake transcript (the canonical bytes of the signed hello and hello_ack), so a key
 * is only ever shared by the two identities that signed that very exchange.
 */
export function deriveSessionKeys(input: {
  mine: Ephemeral;
  theirs: Uint8Array;
  dialerNonce: Uint8Array;
  acceptorNonce: Uint8Array;
  dialerId: string;
  acceptorId: string;
  transcript: Uint8Array;
}): SessionKeys {
  const theirKey = createPublicKey({
    key: { kty: "OKP", crv: "X25519", x: Buffer.from(input.theirs).toString("base64url") },
    format: "jwk",
  });
  const shared = diffieHellman({ privateKey: input.mine.privateKey, publicKey: theirKey });
  if (shared.every((b) => b === 0)) throw new Error("X25519 produced an all-zero secret");
  const salt = Buffer.concat([input.dialerNonce, input.acceptorNonce]);
  const transcriptHash = createHash("sha256").update(input.transcript).digest("hex");
  const info = `weft/${PROTOCOL_VERSION} session|${input.dialerId}|${input.acceptorId}|${transcriptHash}`;
  const okm = Buffer.from(hkdfSync("sha256", shared, salt, info, 64));
  return { dialerToAcceptor: okm.subarray(0, 32), acceptorToDialer: okm.subarray(32, 64) };
}

/** Counter nonce: 4 zero bytes then the 64-bit big-endian counter; keys are per direction. */
function nonceOf(n: number): Buffer {
  const iv = Buffer.alloc(12);
  iv.writeBigUInt64BE(BigInt(n), 4);
  return iv;
}

/** Associated data: the canonical header without `box`, `dst` and `ttl`. */
function aadOf(header: EnvelopeHeader & { n: number }): Uint8Array {
  const { dst: _dst, ttl: _ttl, ...covered } = header;
  return canonicalBytes(covered);
}

export function seal(key: Buffer, header: EnvelopeHeader, n: number, data: unknown): SealedEnvelope {
  const withN = { ...header, n };
  const cipher = createCipheriv("aes-256-gcm", key, nonceOf(n));
  cipher.setAAD(aadOf(withN));
  const body = Buffer.concat([
    cipher.update(JSON.stringify(data), "utf8"),
    cipher.final(),
    cipher.getAuthTag(),
  ]);
  return { ...withN, box: body.toString("base64") };
}

/** Opens a sealed envelope; returns the JSON text of `data`, or undefined for a forgery. */
export function open(key: Buffer, env: SealedEnvelope): string | undefined {
  const { box, ...header } = env;
  const body = Buffer.from(box, "base64");
  if (body.length < 16) return undefined;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, nonceOf(env.n));
    decipher.setAAD(aadOf(header));
    decipher.setAuthTag(body.subarray(body.length - 16));
    return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString(
      "utf8",
    );
  } catch {
    return undefined;
  }
}

/** Seals a small secret (an invite token) under a session key, outside the frame counter space. */
export function sealSecret(key: Buffer, secret: string, bind: Uint8Array): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(bind);
  const body = Buffer.concat([cipher.update(secret, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return Buffer.concat([iv, body]).toString("base64");
}

export function openSecret(key: Buffer, sealed: string, bind: Uint8Array): string | undefined {
  const raw = Buffer.from(sealed, "base64");
  if (raw.length < 12 + 16) return undefined;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12));
    decipher.setAAD(bind);
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString(
      "utf8",
    );
  } catch {
    return undefined;
  }
}
