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
  randomFillSync,
} from "node:crypto";
import type { EnvelopeHeader, SealedEnvelope, SignedEnvelope } from "../../protocol/peer.ts";
import { INITIAL_TTL } from "../../protocol/peer.ts";
import { PROTOCOL_VERSION } from "../../protocol/version.ts";
import { type NodeIdentity, verifySignature } from "../identity/identity.ts";
import { canonicalBytes, canonicalJson } from "./canonical-json.ts";

/**
 * 128 random bits as hex. Drawn from the system CSPRNG in blocks, since one call per frame costs
 * more than the rest of the header; ids are public, so handing out slices of a block is safe.
 */
const idBlock = Buffer.alloc(16 * 256);
let idOffset = idBlock.length;
function randomId(): string {
  if (idOffset === idBlock.length) {
    randomFillSync(idBlock);
    idOffset = 0;
  }
  const id = idBlock.toString("hex", idOffset, idOffset + 16);
  idOffset += 16;
  return id;
}

/** A fresh header; `msg_id` is 128 random bits. */
export function newHeader(
  type: string,
  src: string,
  extra: { dst?: string; re?: string } = {},
): EnvelopeHeader {
  const msg_id = randomId();
  const ts = Date.now();
  const { re, dst } = extra;
  // One literal per shape rather than spreads: this runs for every frame.
  if (re && dst) return { v: PROTOCOL_VERSION, type, msg_id, re, src, dst, ts, ttl: INITIAL_TTL };
  if (re) return { v: PROTOCOL_VERSION, type, msg_id, re, src, ts, ttl: INITIAL_TTL };
  if (dst) return { v: PROTOCOL_VERSION, type, msg_id, src, dst, ts, ttl: INITIAL_TTL };
  return { v: PROTOCOL_VERSION, type, msg_id, src, ts, ttl: INITIAL_TTL };
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

/**
 * X25519 public keys of small order (and their non-canonical encodings, top bit ignored): any of
 * them forces a shared secret the sender knows in advance, so a handshake must refuse them.
 */
const LOW_ORDER_POINTS = [
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0100000000000000000000000000000000000000000000000000000000000000",
  "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
  "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
].map((hex) => Buffer.from(hex, "hex"));

/** A peer's ephemeral key that cannot give a secret only the two ends know. */
export class WeakKeyError extends Error {
  override readonly name = "WeakKeyError";
}

/** Whether a 32-byte X25519 public key is one of the small-order points. */
export function isLowOrderX25519(key: Uint8Array): boolean {
  if (key.length !== 32) return true;
  const masked = Buffer.from(key);
  masked[31] = (masked[31] ?? 0) & 0x7f;
  return LOW_ORDER_POINTS.some((point) => point.equals(masked));
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
  if (isLowOrderX25519(input.theirs)) throw new WeakKeyError("the ephemeral key is a low-order X25519 point");
  let shared: Buffer;
  try {
    const theirKey = createPublicKey({
      key: { kty: "OKP", crv: "X25519", x: Buffer.from(input.theirs).toString("base64url") },
      format: "jwk",
    });
    shared = diffieHellman({ privateKey: input.mine.privateKey, publicKey: theirKey });
  } catch {
    // The crypto library refuses keys it cannot use (it fails on an all-zero result itself).
    throw new WeakKeyError("the ephemeral key is not a usable X25519 key");
  }
  if (shared.every((b) => b === 0)) throw new WeakKeyError("X25519 produced an all-zero secret");
  const salt = Buffer.concat([input.dialerNonce, input.acceptorNonce]);
  const transcriptHash = createHash("sha256").update(input.transcript).digest("hex");
  const info = `weft/${PROTOCOL_VERSION} session|${input.dialerId}|${input.acceptorId}|${transcriptHash}`;
  const okm = Buffer.from(hkdfSync("sha256", shared, salt, info, 64));
  return { dialerToAcceptor: okm.subarray(0, 32), acceptorToDialer: okm.subarray(32, 64) };
}

/** Counter nonce: 4 zero bytes then the 64-bit big-endian counter; keys are per direction. */
export function nonceOf(n: number): Buffer {
  const iv = Buffer.alloc(12);
  // n is a safe integer (at most 2^53 - 1): the high word fits 21 bits, the low word is n mod 2^32.
  iv.writeUInt32BE(Math.floor(n / 0x1_0000_0000), 4);
  iv.writeUInt32BE(n % 0x1_0000_0000, 8);
  return iv;
}

/** `JSON.stringify` of a string: printable ASCII with no quote or backslash needs no escaping. */
function jsonString(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return JSON.stringify(s);
  }
  return `"${s}"`;
}

/** `canonicalJson` of one header value: strings and finite numbers directly, the rest the general way. */
function headerValue(value: unknown): string {
  if (typeof value === "string") return jsonString(value);
  if (typeof value === "number" && Number.isFinite(value)) return `${value}`;
  return canonicalJson(value);
}

/** Whether `header` has no field a sealed envelope does not define. */
function onlySealedFields(header: object): boolean {
  for (const k in header) {
    switch (k) {
      case "v":
      case "type":
      case "msg_id":
      case "re":
      case "src":
      case "dst":
      case "ts":
      case "ttl":
      case "n":
      case "box":
        break;
      default:
        return false;
    }
  }
  return true;
}

const utf8 = new TextEncoder();

/**
 * Associated data: the canonical header without `box`, `dst` and `ttl`. The very bytes of
 * `canonicalBytes` over those fields, written in their sorted order (msg_id, n, re, src, ts, type,
 * v) without building and sorting an object per frame; a header with any other field, or a field
 * left undefined, takes the general path.
 */
export function aadOf(header: EnvelopeHeader & { n: number; box?: string }): Uint8Array {
  const { msg_id, n, re, src, ts, type, v } = header;
  if (
    !onlySealedFields(header) ||
    msg_id === undefined ||
    n === undefined ||
    src === undefined ||
    ts === undefined ||
    type === undefined ||
    v === undefined
  ) {
    const { dst: _dst, ttl: _ttl, box: _box, ...covered } = header;
    return canonicalBytes(covered);
  }
  let text = `{"msg_id":${headerValue(msg_id)},"n":${headerValue(n)}`;
  if (re !== undefined) text += `,"re":${headerValue(re)}`;
  text += `,"src":${headerValue(src)},"ts":${headerValue(ts)},"type":${headerValue(type)},"v":${headerValue(v)}}`;
  return utf8.encode(text);
}

export function seal(key: Buffer, header: EnvelopeHeader, n: number, data: unknown): SealedEnvelope {
  const env = { ...header, n } as SealedEnvelope;
  const cipher = createCipheriv("aes-256-gcm", key, nonceOf(n));
  cipher.setAAD(aadOf(env));
  const body = Buffer.concat([
    cipher.update(JSON.stringify(data), "utf8"),
    cipher.final(),
    cipher.getAuthTag(),
  ]);
  env.box = body.toString("base64");
  return env;
}

/** Opens a sealed envelope; returns the JSON text of `data`, or undefined for a forgery. */
export function open(key: Buffer, env: SealedEnvelope): string | undefined {
  const body = Buffer.from(env.box, "base64");
  if (body.length < 16) return undefined;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, nonceOf(env.n));
    decipher.setAAD(aadOf(env));
    decipher.setAuthTag(body.subarray(body.length - 16));
    const plain = decipher.update(body.subarray(0, body.length - 16));
    // final() checks the tag and throws on a forgery; nothing is returned before it passed.
    const tail = decipher.final();
    return (tail.length === 0 ? plain : Buffer.concat([plain, tail])).toString("utf8");
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
