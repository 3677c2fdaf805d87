import { generateKeyPairSync } from "node:crypto";
import { z } from "zod";
import { NodeIdentity } from "../identity/identity.ts";
import { SeenGuard } from "../wire/seen-guard.ts";
import type { FrameLimits } from "../wire/signed-frame.ts";
import { acceptHandshake, dialHandshake, type HandshakeResult } from "./handshake.ts";
import { type Link, LinkBase } from "./links/link.ts";
import { PeerSession } from "./peer-session.ts";

/** The crypto or the frame pipeline did not give back what it was given: the node must not start. */
export class SelfTestError extends Error {
  override readonly name = "SelfTestError";
}

const WARM_UP_MS = 2_000;
const probe = z.strictObject({ probe: z.string() });

/**
 * One end of an in-memory link whose frames cross in a later turn of the event loop, so requests
 * that arrive while the warm-up runs (the first `/api/health`) are answered between its steps.
 */
class YieldingLink extends LinkBase {
  readonly transport = "warm-up";
  readonly direction: "inbound" | "outbound";
  readonly remoteAddress = undefined;
  other: YieldingLink | undefined;

  constructor(direction: "inbound" | "outbound") {
    super();
    this.direction = direction;
  }

  protected transmit(frame: string): void {
    setImmediate(() => this.other?.deliver(frame));
  }

  protected shutdown(code: number, reason: string): void {
    setImmediate(() => this.other?.closed(code, reason));
  }
}

function linkPair(): { inbound: YieldingLink; outbound: YieldingLink } {
  const inbound = new YieldingLink("inbound");
  const outbound = new YieldingLink("outbound");
  inbound.other = outbound;
  outbound.other = inbound;
  return { inbound, outbound };
}

function throwawayIdentity(): NodeIdentity {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const x = publicKey.export({ format: "jwk" }).x ?? "";
  return new NodeIdentity(new Uint8Array(Buffer.from(x, "base64url")), privateKey);
}

/**
 * One invite pairing and one sealed frame between this node's identity and a throwaway one, over
 * an in-memory link, at start: the first real pairing then finds the handshake, the key exchange,
 * AES-GCM, Ed25519 and the frame schemas compiled instead of paying for it while a user waits
 * (a cold pairing took five times as long as a warm one). It checks what comes back and rejects
 * with `SelfTestError` when anything differs, so a broken runtime or key shows in the log instead
 * of as pairings that fail for no stated reason. Nothing is stored or sent anywhere; the throwaway
 * key is forgotten.
 */
export async function warmUpFabric(identity: NodeIdentity, limits: FrameLimits): Promise<void> {
  try {
    await pairInMemory(identity, limits);
  } catch (err) {
    if (err instanceof SelfTestError) throw err;
    throw new SelfTestError(`the in-memory pairing failed: ${(err as Error).message}`);
  }
}

async function pairInMemory(identity: NodeIdentity, limits: FrameLimits): Promise<void> {
  const other = throwawayIdentity();
  const { inbound, outbound } = linkPair();
  const common = { capabilities: [], limits, seen: new SeenGuard({ maxEntries: 16 }), timeoutMs: WARM_UP_MS };
  const token = "warm-up-token";
  let presented: string | undefined;
  const [accepted, dialed] = await Promise.all([
    acceptHandshake(inbound, {
      ...common,
      identity,
      nodeName: "warm-up",
      decide: async (claim) => {
        presented = claim.token;
        return { ok: true };
      },
    }),
    dialHandshake(outbound, {
      ...common,
      identity: other,
      nodeName: "warm-up",
      expectKey: identity.publicKey,
      token,
    }),
  ]);
  if (accepted.peerId !== other.nodeId || dialed.peerId !== identity.nodeId || presented !== token)
    throw new SelfTestError("the handshake did not prove who is on each end");

  const received = await within(
    WARM_UP_MS,
    sealedRoundTrip(inbound, accepted, outbound, dialed, identity, other),
  );
  if (received !== "sealed") throw new SelfTestError("a sealed frame did not open to what was sealed");
}

/** Sends one sealed frame from the dialer's session to the acceptor's; what the acceptor read. */
function sealedRoundTrip(
  inbound: Link,
  accepted: HandshakeResult,
  outbound: Link,
  dialed: HandshakeResult,
  identity: NodeIdentity,
  other: NodeIdentity,
): Promise<string> {
  const limits = { maxFrameBytes: 64 * 1024, maxJsonDepth: 16, rateLimitPerSec: 10, rateLimitBurst: 10 };
  const types = (type: string) => (type === "warm_up" ? probe : undefined);
  return new Promise<string>((resolve, reject) => {
    const events = (onFrame: (data: unknown) => void) => ({
      frame: (_s: PeerSession, _type: string, data: unknown) => onFrame(data),
      rejected: (_s: PeerSession, err: Error) =>
        reject(new SelfTestError(`a sealed frame was refused: ${err.message}`)),
      misbehaved: () => {},
      closed: () => {},
    });
    const receiver = new PeerSession({
      link: inbound,
      handshake: accepted,
      selfId: identity.nodeId,
      limits,
      types,
      events: events((data) => {
        resolve((data as z.infer<typeof probe>).probe);
        receiver.close();
      }),
    });
    const sender = new PeerSession({
      link: outbound,
      handshake: dialed,
      selfId: other.nodeId,
      limits,
      types,
      events: events(() => {}),
    });
    receiver.start(accepted.leftover);
    sender.start(dialed.leftover);
    if (!sender.sendRaw("warm_up", { probe: "sealed" }))
      reject(new SelfTestError("the in-memory link closed"));
  });
}

function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SelfTestError(`the warm-up did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
