import { createHash } from "node:crypto";
import { base32 } from "@scure/base";

/** Characters of a node id: 80 bits, enough against forging an id, not against collisions at scale. */
export const NODE_ID_LENGTH = 16;

/**
 * `node_id` = lowercase RFC 4648 base32 of sha256(raw 32-byte public key), padding removed, first
 * 16 characters (docs/architecture.md). For display and routing; trust pins the full key.
 */
export function nodeIdFromPublicKey(publicKey: Uint8Array): string {
  if (publicKey.length !== 32) throw new Error("an Ed25519 public key is 32 bytes");
  const digest = createHash("sha256").update(publicKey).digest();
  return base32.encode(digest).replace(/=+$/, "").toLowerCase().slice(0, NODE_ID_LENGTH);
}

export function isNodeId(value: string): boolean {
  return /^[a-z2-7]{16}$/.test(value);
}
