import { createPrivateKey, createPublicKey, type KeyObject, randomBytes, sign, verify } from "node:crypto";
import { chmodSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import * as ed from "@noble/ed25519";
import { StartupError } from "../errors.ts";
import { nodeIdFromPublicKey } from "./node-id.ts";

/**
 * This node's Ed25519 identity. The private key lives only inside this object and the key file:
 * nothing here can serialize it, so no API or log can leak it by accident.
 */
export class NodeIdentity {
  readonly nodeId: string;
  /** Standard base64 of the raw 32-byte public key, as it travels on every wire. */
  readonly publicKeyBase64: string;
  readonly publicKey: Uint8Array;
  readonly #privateKey: KeyObject;

  constructor(publicKey: Uint8Array, privateKey: KeyObject) {
    this.publicKey = publicKey;
    this.nodeId = nodeIdFromPublicKey(publicKey);
    this.publicKeyBase64 = Buffer.from(publicKey).toString("base64");
    this.#privateKey = privateKey;
  }

  /** Signs with the runtime's native Ed25519, which is much faster than pure JS on hot paths. */
  sign(message: Uint8Array): Uint8Array {
    return new Uint8Array(sign(null, message, this.#privateKey));
  }

  toJSON(): { node_id: string; public_key: string } {
    return { node_id: this.nodeId, public_key: this.publicKeyBase64 };
  }
}

/** Verifies an Ed25519 signature against a raw 32-byte public key; false on any malformed input. */
export function verifySignature(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: b64url(publicKey) }, format: "jwk" });
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}

/**
 * Loads `identity.key` (PKCS#8 PEM), or makes a new key pair with @noble/ed25519 and writes it with
 * mode 0600 on first start. The write is atomic so a crash never leaves a half-written key.
 */
export async function loadOrCreateIdentity(path: string): Promise<NodeIdentity> {
  if (existsSync(path)) return loadIdentity(path);
  const secret = ed.utils.randomSecretKey();
  const publicKey = await ed.getPublicKeyAsync(secret);
  const keyObject = createPrivateKey({
    key: { kty: "OKP", crv: "Ed25519", d: b64url(secret), x: b64url(publicKey) },
    format: "jwk",
  });
  const pem = keyObject.export({ type: "pkcs8", format: "pem" });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, pem, { mode: 0o600 });
  renameSync(tmp, path);
  return new NodeIdentity(publicKey, keyObject);
}

async function loadIdentity(path: string): Promise<NodeIdentity> {
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey({ key: readFileSync(path), format: "pem" });
  } catch {
    throw new StartupError(
      `${path} is not a readable PKCS#8 PEM private key; move it aside to make a new identity`,
    );
  }
  if (keyObject.asymmetricKeyType !== "ed25519") {
    throw new StartupError(`${path} holds a ${keyObject.asymmetricKeyType} key, not Ed25519`);
  }
  const jwk = keyObject.export({ format: "jwk" });
  const publicKey = new Uint8Array(Buffer.from(jwk.x ?? "", "base64url"));
  // A signature the public half verifies proves the pair belongs together, natively and at once;
  // deriving the public key again in pure JS cost a cold start tens of milliseconds.
  const probe = randomBytes(32);
  if (!verifySignature(publicKey, probe, new Uint8Array(sign(null, probe, keyObject)))) {
    throw new StartupError(`${path} is inconsistent: its public key does not match its private key`);
  }
  // Another tool may have loosened the mode; a private key must stay readable by its owner only.
  if (process.platform !== "win32" && (statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  return new NodeIdentity(publicKey, keyObject);
}

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64url");
}
