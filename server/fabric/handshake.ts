import { randomBytes } from "node:crypto";
import {
  authData,
  authResultData,
  type HelloData,
  helloAckData,
  helloData,
  type SignedEnvelope,
} from "../../protocol/peer.ts";
import type { NodeIdentity } from "../identity/identity.ts";
import {
  deriveSessionKeys,
  type Ephemeral,
  newEphemeral,
  newHeader,
  openSecret,
  type SessionKeys,
  sealSecret,
  signEnvelope,
  signedBytes,
  WeakKeyError,
} from "../wire/envelope-crypto.ts";
import { FrameRejected } from "../wire/json-guard.ts";
import type { SeenGuard } from "../wire/seen-guard.ts";
import { checkSignedFrame, type FrameLimits, parseFrame } from "../wire/signed-frame.ts";
import { FrameQueue } from "./frame-queue.ts";
import { CLOSE, type Link } from "./links/link.ts";

export const HANDSHAKE_TIMEOUT_MS = 10_000;

/** Why a handshake failed; `reason` is what the user is shown. */
export class HandshakeError extends Error {
  override readonly name = "HandshakeError";
  readonly code: "refused" | "bad_frame" | "wrong_node" | "timeout" | "closed";
  /** The frame-level code when a frame was rejected, for counting. */
  readonly frameCode: string | undefined;
  /** A hello signed by the key it presents but claiming another node's id: what it claimed. */
  readonly claim: { peerId: string; publicKey: string } | undefined;
  constructor(
    code: HandshakeError["code"],
    message: string,
    frameCode?: string,
    claim?: HandshakeError["claim"],
  ) {
    super(message);
    this.code = code;
    this.frameCode = frameCode;
    this.claim = claim;
  }
}

/** Who is on the other end, proven by the handshake, and the keys of the session. */
export interface HandshakeResult {
  peerId: string;
  peerPublicKey: Uint8Array;
  peerName: string;
  capabilities: string[];
  sendKey: Buffer;
  recvKey: Buffer;
  /** Frames that arrived right after the handshake, for the session to read first. */
  leftover: Array<string | Uint8Array>;
}

/** What both sides of a handshake need: who this node is, what it offers, and the frame limits. */
export interface HandshakeCommon {
  identity: NodeIdentity;
  nodeName: string;
  capabilities: string[];
  limits: FrameLimits;
  seen: SeenGuard;
  timeoutMs?: number;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
const bytes = (s: string) => new Uint8Array(Buffer.from(s, "base64"));

function helloOf(c: HandshakeCommon, nonce: Uint8Array, eph: Ephemeral): HelloData {
  return {
    node_name: c.nodeName,
    public_key: c.identity.publicKeyBase64,
    capabilities: c.capabilities,
    nonce: b64(nonce),
    eph: b64(eph.publicKey),
  };
}

const unsigned = (env: SignedEnvelope) => {
  const { sig: _sig, ...rest } = env;
  return signedBytes(rest);
};

/** Reads the next frame, or fails the handshake when the link closed. */
async function read(queue: FrameQueue, c: HandshakeCommon): Promise<unknown> {
  const frame = await queue.next();
  if (frame === undefined)
    throw new HandshakeError("closed", "the other node closed the link during the handshake");
  try {
    return parseFrame(frame, c.limits);
  } catch (err) {
    const rejected = err as FrameRejected;
    throw new HandshakeError("bad_frame", rejected.message, rejected.code);
  }
}

function check<T>(fn: () => T, claimOf?: () => HandshakeError["claim"]): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof FrameRejected) {
      const claim = err.code === "key_mismatch" ? claimOf?.() : undefined;
      throw new HandshakeError("bad_frame", err.message, err.code, claim);
    }
    throw err;
  }
}

/** Frame code counted when a peer's ephemeral key is low-order or gives an all-zero secret. */
export const WEAK_KEY = "weak_key";

/** Derives the session keys, refusing a peer's ephemeral key that cannot give a private secret. */
function sessionKeys(input: Parameters<typeof deriveSessionKeys>[0]): SessionKeys {
  try {
    return deriveSessionKeys(input);
  } catch (err) {
    if (err instanceof WeakKeyError) throw new HandshakeError("bad_frame", err.message, WEAK_KEY);
    throw err;
  }
}

async function withTimeout<T>(link: Link, ms: number, run: () => Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new HandshakeError("timeout", `handshake did not finish within ${ms} ms`)),
      ms,
    );
  });
  try {
    return await Promise.race([run(), timeout]);
  } catch (err) {
    const reason = err instanceof HandshakeError ? err.message : "handshake failed";
    link.close(CLOSE.policy, reason);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The dialer's side (docs/architecture.md): hello → verify hello_ack (echo, key matches src, the
 * pinned key when dialing an invite, our own objections) → auth with the sealed token → verify
 * auth_result. Closes the link and throws `HandshakeError` on any failure.
 */
export function dialHandshake(
  link: Link,
  c: HandshakeCommon & {
    expectKey?: Uint8Array;
    token?: string;
    /** Our own objection to this peer (blocked, key mismatch), checked before we authenticate. */
    objection?: (peerId: string, key: Uint8Array) => string | undefined;
  },
): Promise<HandshakeResult> {
  return withTimeout(link, c.timeoutMs ?? HANDSHAKE_TIMEOUT_MS, async () => {
    const queue = new FrameQueue(link);
    const nonce = randomBytes(32);
    const eph = newEphemeral();
    const helloBody = helloOf(c, nonce, eph);
    const hello = signEnvelope(c.identity, newHeader("hello", c.identity.nodeId), helloBody);
    link.send(JSON.stringify(hello));

    const ackJson = await read(queue, c);
    const ack = check(() =>
      checkSignedFrame(ackJson, {
        type: "hello_ack",
        data: helloAckData,
        publicKey: (d) => bytes(d.public_key),
        seen: c.seen,
      }),
    );
    if (ack.data.echo !== helloBody.nonce)
      throw new HandshakeError("bad_frame", "hello_ack does not echo our nonce");
    const peerKey = bytes(ack.data.public_key);
    if (c.expectKey && Buffer.compare(Buffer.from(c.expectKey), Buffer.from(peerKey)) !== 0) {
      throw new HandshakeError("wrong_node", "a different node answered at the invite's address");
    }
    const objection = c.objection?.(ack.env.src, peerKey);
    if (objection) throw new HandshakeError("refused", objection);

    const keys = sessionKeys({
      mine: eph,
      theirs: bytes(ack.data.eph),
      dialerNonce: nonce,
      acceptorNonce: bytes(ack.data.nonce),
      dialerId: c.identity.nodeId,
      acceptorId: ack.env.src,
      transcript: Buffer.concat([unsigned(hello), unsigned(ack.env)]),
    });
    const bind = Buffer.from(`${hello.msg_id}|${ack.env.msg_id}`);
    const auth = signEnvelope(c.identity, newHeader("auth", c.identity.nodeId, { dst: ack.env.src }), {
      echo: ack.data.nonce,
      ...(c.token ? { token: sealSecret(keys.dialerToAcceptor, c.token, bind) } : {}),
    });
    link.send(JSON.stringify(auth));

    const resultJson = await read(queue, c);
    const result = check(() =>
      checkSignedFrame(resultJson, {
        type: "auth_result",
        data: authResultData,
        publicKey: () => peerKey,
        seen: c.seen,
      }),
    );
    if (result.env.src !== ack.env.src)
      throw new HandshakeError("bad_frame", "auth_result from another node");
    if (!result.data.ok) throw new HandshakeError("refused", result.data.reason ?? "refused");
    return {
      peerId: ack.env.src,
      peerPublicKey: peerKey,
      peerName: ack.data.node_name,
      capabilities: ack.data.capabilities,
      sendKey: keys.dialerToAcceptor,
      recvKey: keys.acceptorToDialer,
      leftover: queue.detach(),
    };
  });
}

/** What the acceptor knows of a dialer when it decides whether to admit it. */
export interface DialerClaim {
  peerId: string;
  publicKey: Uint8Array;
  nodeName: string;
  /** The invite token it presented, opened from its sealed form; undefined when none. */
  token: string | undefined;
}

/**
 * The acceptor's side: verify hello → hello_ack → verify auth (echo, and open the sealed token)
 * → `decide` (trust) → auth_result. A refusal is sent, then the link is closed.
 */
export function acceptHandshake(
  link: Link,
  c: HandshakeCommon & {
    decide: (claim: DialerClaim) => Promise<{ ok: true } | { ok: false; reason: string }>;
  },
): Promise<HandshakeResult> {
  return withTimeout(link, c.timeoutMs ?? HANDSHAKE_TIMEOUT_MS, async () => {
    const queue = new FrameQueue(link);
    const helloJson = await read(queue, c);
    const hello = check(
      () =>
        checkSignedFrame(helloJson, {
          type: "hello",
          data: helloData,
          publicKey: (d) => bytes(d.public_key),
          seen: c.seen,
        }),
      // Only reached once the schema passed, so these fields exist.
      () => {
        const env = helloJson as SignedEnvelope & { data: HelloData };
        return { peerId: env.src, publicKey: env.data.public_key };
      },
    );
    const peerKey = bytes(hello.data.public_key);
    if (hello.env.src === c.identity.nodeId)
      throw new HandshakeError("bad_frame", "a node cannot link to itself");

    const nonce = randomBytes(32);
    const eph = newEphemeral();
    const ackBody = { ...helloOf(c, nonce, eph), echo: hello.data.nonce };
    const ackHeader = newHeader("hello_ack", c.identity.nodeId, { dst: hello.env.src, re: hello.env.msg_id });
    const ack = signEnvelope(c.identity, ackHeader, ackBody);
    // Derived before answering: a dialer with an unusable ephemeral key gets no hello_ack at all.
    const keys = sessionKeys({
      mine: eph,
      theirs: bytes(hello.data.eph),
      dialerNonce: bytes(hello.data.nonce),
      acceptorNonce: nonce,
      dialerId: hello.env.src,
      acceptorId: c.identity.nodeId,
      transcript: Buffer.concat([unsigned(hello.env), unsigned(ack)]),
    });
    link.send(JSON.stringify(ack));

    const authJson = await read(queue, c);
    const auth = check(() =>
      checkSignedFrame(authJson, { type: "auth", data: authData, publicKey: () => peerKey, seen: c.seen }),
    );
    if (auth.env.src !== hello.env.src) throw new HandshakeError("bad_frame", "auth from another node");
    if (auth.data.echo !== ackBody.nonce)
      throw new HandshakeError("bad_frame", "auth does not echo our nonce");
    let token: string | undefined;
    if (auth.data.token !== undefined) {
      token = openSecret(
        keys.dialerToAcceptor,
        auth.data.token,
        Buffer.from(`${hello.env.msg_id}|${ack.msg_id}`),
      );
      if (token === undefined) throw new HandshakeError("bad_frame", "invite token does not open");
    }

    const verdict = await c.decide({
      peerId: hello.env.src,
      publicKey: peerKey,
      nodeName: hello.data.node_name,
      token,
    });
    const result = signEnvelope(
      c.identity,
      newHeader("auth_result", c.identity.nodeId, { dst: hello.env.src, re: auth.env.msg_id }),
      {
        ok: verdict.ok,
        ...(verdict.ok ? {} : { reason: verdict.reason }),
      },
    );
    link.send(JSON.stringify(result));
    if (!verdict.ok) throw new HandshakeError("refused", verdict.reason);
    return {
      peerId: hello.env.src,
      peerPublicKey: peerKey,
      peerName: hello.data.node_name,
      capabilities: hello.data.capabilities,
      sendKey: keys.acceptorToDialer,
      recvKey: keys.dialerToAcceptor,
      leftover: queue.detach(),
    };
  });
}
