import type { z } from "zod";
import { type SealedEnvelope, sealedEnvelope } from "../../protocol/peer.ts";
import { BinaryFrameError, readBinaryHeader, SEALED_BINARY_KIND } from "../../protocol/peer-binary.ts";
import type { PeerDataOf, PeerMessageName } from "../../protocol/peer-messages.ts";
import { newHeader, open, seal } from "../wire/envelope-crypto.ts";
import { FrameRejected, parseGuardedJson } from "../wire/json-guard.ts";
import { TokenBucket } from "../wire/rate-limiter.ts";
import { openBinary, sealBinary } from "../wire/sealed-binary.ts";
import { type FrameLimits, parseFrame } from "../wire/signed-frame.ts";
import type { HandshakeResult } from "./handshake.ts";
import { CLOSE, type Link, type LinkCloseInfo } from "./links/link.ts";

/** The header of an accepted sealed frame, in either form: the JSON envelope without its box. */
export type SealedHeader = Omit<SealedEnvelope, "box">;

/** Limits a session reads when it starts (all are settings). */
export interface SessionLimits extends FrameLimits {
  rateLimitPerSec: number;
  rateLimitBurst: number;
}

/** Bad frames tolerated in `FAILURE_WINDOW_MS` before the peer is disconnected. */
export const MAX_FAILURES = 50;
export const FAILURE_WINDOW_MS = 10_000;

export interface SessionEvents {
  /** An authenticated frame of a known type, parsed; never called for anything unchecked. */
  frame(session: PeerSession, type: string, data: unknown, env: SealedHeader): void;
  /** A frame was refused; counted by the hub. */
  rejected(session: PeerSession, error: FrameRejected): void;
  /** The session ended itself because the peer misbehaved. */
  misbehaved(session: PeerSession, kind: "rate_limit" | "bad_frames", detail: string): void;
  closed(session: PeerSession, info: LinkCloseInfo): void;
}

/** How good a path is: a direct socket beats a WebRTC channel, which beats the lobby's relay. */
export function pathRank(transport: string): number {
  if (transport === "relay") return 0;
  if (transport === "webrtc") return 1;
  return 2;
}

/**
 * One authenticated link to a peer after the handshake. Every inbound frame runs the pipeline of
 * In the order docs/architecture.md gives: size → JSON depth and keys → envelope schema → this session's peer →
 * counter above the last accepted → open the box → type allow-list and data schema → rate limit →
 * dispatch. Nothing a peer sends can throw past `#receive`.
 */
export class PeerSession {
  readonly peerId: string;
  readonly peerPublicKey: Uint8Array;
  readonly capabilities: string[];
  readonly link: Link;
  readonly establishedAt = Date.now();
  peerName: string;
  rttMs: number | null = null;
  /** Why the link runs over its transport, shown in the peer row (`relayed: no direct path answered`). */
  pathReason: string | undefined;
  lastSeen = Date.now();
  missedPings = 0;
  readonly stats = { bytesIn: 0, bytesOut: 0, msgsIn: 0, msgsOut: 0, rejected: 0 };

  readonly #selfId: string;
  /** Whether this end seals in the binary form; it reads both forms either way. */
  readonly binaryFrames: boolean;
  readonly #sendKey: Buffer;
  readonly #recvKey: Buffer;
  #sendN = 0;
  #lastRecvN = 0;
  readonly #limits: SessionLimits;
  readonly #bucket: TokenBucket;
  readonly #types: (type: string) => z.ZodType | undefined;
  readonly #events: SessionEvents;
  #failures: number[] = [];

  constructor(opts: {
    link: Link;
    handshake: HandshakeResult;
    selfId: string;
    limits: SessionLimits;
    /** The data schema of an accepted type, or undefined for a type this node does not know. */
    types: (type: string) => z.ZodType | undefined;
    events: SessionEvents;
    /** Seal in the binary form: both hellos listed it and the link carries binary. */
    binaryFrames?: boolean;
  }) {
    const h = opts.handshake;
    this.link = opts.link;
    this.peerId = h.peerId;
    this.peerPublicKey = h.peerPublicKey;
    this.peerName = h.peerName;
    this.capabilities = h.capabilities;
    this.#selfId = opts.selfId;
    this.#sendKey = h.sendKey;
    this.#recvKey = h.recvKey;
    this.#limits = opts.limits;
    this.#bucket = new TokenBucket(opts.limits.rateLimitPerSec, opts.limits.rateLimitBurst);
    this.#types = opts.types;
    this.#events = opts.events;
    this.binaryFrames = (opts.binaryFrames ?? false) && opts.link.carriesBinary;
  }

  get direction(): "inbound" | "outbound" {
    return this.link.direction;
  }

  /** Starts reading: the handshake's leftover frames first, then the link. */
  start(leftover: Array<string | Uint8Array>): void {
    for (const frame of leftover) this.#receive(frame);
    this.link.onMessage((frame) => this.#receive(frame));
    this.link.onClose((info) => this.#events.closed(this, info));
  }

  /** Seals and sends one frame of a type in protocol/peer-messages.ts; false once the link closed. */
  send<T extends PeerMessageName>(type: T, data: PeerDataOf<T>, re?: string): boolean {
    return this.sendRaw(type, data, re);
  }

  /**
   * Seals and sends a frame of a type outside the protocol's table: one a test, a bench or the
   * start-up self-test registered for itself. Features use `send`.
   */
  sendRaw(type: string, data: unknown, re?: string): boolean {
    if (!this.link.isOpen) return false;
    this.#sendN += 1;
    const header = newHeader(type, this.#selfId, { dst: this.peerId, re });
    let frame: string | Uint8Array;
    let bytes: number;
    if (this.binaryFrames) {
      frame = sealBinary(this.#sendKey, { ...header, n: this.#sendN }, data);
      bytes = frame.byteLength;
    } else {
      frame = JSON.stringify(seal(this.#sendKey, header, this.#sendN, data));
      bytes = Buffer.byteLength(frame);
    }
    try {
      this.link.send(frame);
    } catch {
      return false;
    }
    this.stats.bytesOut += bytes;
    this.stats.msgsOut += 1;
    return true;
  }

  close(code: number = CLOSE.normal, reason = ""): void {
    this.link.close(code, reason);
  }

  #receive(raw: string | Uint8Array): void {
    this.stats.bytesIn += typeof raw === "string" ? Buffer.byteLength(raw) : raw.byteLength;
    try {
      this.#process(raw);
    } catch (err) {
      if (err instanceof FrameRejected) this.#reject(err);
      else this.#reject(new FrameRejected("internal", (err as Error).message));
    }
  }

  #process(raw: string | Uint8Array): void {
    if (typeof raw !== "string" && raw[0] === SEALED_BINARY_KIND) this.#processBinary(raw);
    else this.#processJson(raw);
  }

  #processJson(raw: string | Uint8Array): void {
    const json = parseFrame(raw, this.#limits);
    const parsed = sealedEnvelope.safeParse(json);
    if (!parsed.success) throw new FrameRejected("bad_envelope", "not a sealed envelope");
    const env = parsed.data;
    this.#checkOrder(env);
    const plain = open(this.#recvKey, env);
    if (plain === undefined) throw new FrameRejected("forgery", "sealed box does not open");
    this.#accept(env, plain);
  }

  /** The binary form: the same checks in the same order, with the header read from bytes. */
  #processBinary(raw: Uint8Array): void {
    if (raw.byteLength > this.#limits.maxFrameBytes) {
      throw new FrameRejected("too_big", `frame larger than ${this.#limits.maxFrameBytes} bytes`);
    }
    let header: ReturnType<typeof readBinaryHeader>;
    try {
      header = readBinaryHeader(raw);
    } catch (err) {
      if (err instanceof BinaryFrameError) throw new FrameRejected("bad_envelope", err.message);
      throw err;
    }
    this.#checkOrder(header);
    const plain = openBinary(this.#recvKey, raw, header);
    if (plain === undefined) throw new FrameRejected("forgery", "sealed box does not open");
    this.#accept(header, plain);
  }

  /** This session's peer, and a counter above the last accepted (replay and reorder refused). */
  #checkOrder(env: { src: string; n: number }): void {
    if (env.src !== this.peerId) throw new FrameRejected("wrong_src", "frame from another node on this link");
    if (env.n <= this.#lastRecvN) throw new FrameRejected("replay", `counter ${env.n} already used`);
  }

  /** After the box opened: type allow-list, data schema, rate limit, dispatch. */
  #accept(env: SealedHeader, plain: string): void {
    this.#lastRecvN = env.n;
    this.lastSeen = Date.now();
    const schema = this.#types(env.type);
    if (!schema) {
      this.send(
        "error",
        { code: "unknown_type", message: `unknown type ${env.type.slice(0, 32)}` },
        env.msg_id,
      );
      throw new FrameRejected("unknown_type", `unknown type ${env.type.slice(0, 32)}`);
    }
    const data = schema.safeParse(parseGuardedJson(plain, this.#limits.maxJsonDepth));
    if (!data.success) throw new FrameRejected("bad_data", `bad ${env.type} data`);
    if (!this.#bucket.take()) {
      this.#events.misbehaved(this, "rate_limit", `more than ${this.#limits.rateLimitPerSec} frames/s`);
      this.close(CLOSE.policy, "rate limit exceeded");
      throw new FrameRejected("rate_limit", "rate limit exceeded");
    }
    this.stats.msgsIn += 1;
    this.#events.frame(this, env.type, data.data, env);
  }

  #reject(err: FrameRejected): void {
    this.stats.rejected += 1;
    this.#events.rejected(this, err);
    const now = Date.now();
    this.#failures = this.#failures.filter((t) => now - t < FAILURE_WINDOW_MS);
    this.#failures.push(now);
    if (this.#failures.length > MAX_FAILURES && this.link.isOpen) {
      this.#events.misbehaved(
        this,
        "bad_frames",
        `${this.#failures.length} bad frames in ${FAILURE_WINDOW_MS / 1000} s`,
      );
      this.close(CLOSE.policy, "too many bad frames");
    }
  }
}

/** Within this long after a link opens, a crossing link in the other direction is a dial race. */
const CROSSING_WINDOW_MS = 5_000;

/**
 * Whether a second session with a peer replaces the first: it does, except when two nodes dialed
 * each other at once; then both keep the link dialed by the smaller node id, so they agree
 * without talking.
 */
export function keepsNewLink(existing: PeerSession, fresh: PeerSession, selfId: string): boolean {
  // A better path always wins and a worse one never displaces it: an upgrade from the relay to a
  // direct link replaces the relayed one, and a relayed dial racing a direct one does not undo it.
  const better = pathRank(fresh.link.transport) - pathRank(existing.link.transport);
  if (better !== 0 && existing.link.isOpen) return better > 0;
  const crossing =
    existing.direction !== fresh.direction && Date.now() - existing.establishedAt < CROSSING_WINDOW_MS;
  if (!crossing) return true;
  const weAreSmaller = selfId < fresh.peerId;
  return weAreSmaller === (fresh.direction === "outbound");
}
