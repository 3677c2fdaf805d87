import type { z } from "zod";
import { type SignedEnvelope, signedEnvelope } from "../../protocol/peer.ts";
import { nodeIdFromPublicKey } from "../identity/node-id.ts";
import { verifyEnvelope } from "./envelope-crypto.ts";
import { FrameRejected, parseGuardedJson } from "./json-guard.ts";
import type { SeenGuard } from "./seen-guard.ts";

/** How far a signed frame's `ts` may be from our clock. */
export const TIMESTAMP_WINDOW_MS = 5 * 60_000;

export interface FrameLimits {
  maxFrameBytes: number;
  maxJsonDepth: number;
}

/**
 * Size limit, then JSON with depth and key limits. Every frame from a peer passes through this
 * first, signed or sealed. Throws `FrameRejected`.
 */
export function parseFrame(raw: string | Uint8Array, limits: FrameLimits): unknown {
  if (typeof raw !== "string") throw new FrameRejected("binary", "frames must be text");
  // UTF-16 length bounds UTF-8 bytes from below; measure exactly only when it could matter.
  if (
    raw.length > limits.maxFrameBytes ||
    (raw.length * 3 > limits.maxFrameBytes && Buffer.byteLength(raw) > limits.maxFrameBytes)
  ) {
    throw new FrameRejected("too_big", `frame larger than ${limits.maxFrameBytes} bytes`);
  }
  return parseGuardedJson(raw, limits.maxJsonDepth);
}

/**
 * Checks a parsed signed frame in the order docs/architecture.md gives: schema, expected type, data schema, signature
 * against the claimed key, key matches `src`, timestamp window, then the seen-guard (last, so a
 * forged frame can never burn a real message id). Throws `FrameRejected`.
 */
export function checkSignedFrame<S extends z.ZodType>(
  json: unknown,
  expect: {
    type: string;
    data: S;
    publicKey: (data: z.output<S>) => Uint8Array;
    seen: SeenGuard;
    now?: number;
  },
): { env: SignedEnvelope; data: z.output<S> } {
  const env = signedEnvelope.safeParse(json);
  if (!env.success) throw new FrameRejected("bad_envelope", "not a signed envelope");
  if (env.data.type !== expect.type) {
    throw new FrameRejected("unexpected_type", `expected ${expect.type}, got ${env.data.type}`);
  }
  const data = expect.data.safeParse(env.data.data);
  if (!data.success) throw new FrameRejected("bad_data", `bad ${expect.type} data`);
  const key = expect.publicKey(data.data);
  if (!verifyEnvelope(env.data, key)) throw new FrameRejected("bad_signature", "signature does not verify");
  if (nodeIdFromPublicKey(key) !== env.data.src) {
    throw new FrameRejected("key_mismatch", "public key does not match the claimed node id");
  }
  const now = expect.now ?? Date.now();
  if (Math.abs(now - env.data.ts) > TIMESTAMP_WINDOW_MS) {
    throw new FrameRejected("stale", "timestamp outside the ±5 min window");
  }
  if (!expect.seen.firstTime(env.data.msg_id, now))
    throw new FrameRejected("replay", "message id seen before");
  return { env: env.data, data: data.data };
}
