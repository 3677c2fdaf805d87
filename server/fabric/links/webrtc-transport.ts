import { randomBytes } from "node:crypto";
import {
  type LobbyClientMessage,
  type LobbyServerMessage,
  type RtcSignal,
  rtcSignal,
} from "../../../protocol/lobby.ts";
import { type DataChannelNative, dataChannelNative, type PeerConnection } from "./datachannel-native.ts";
import { DialError, type Link, type Transport } from "./link.ts";
import { WEBRTC, WebRtcLink, webrtcAddress } from "./webrtc-link.ts";

export { WEBRTC, webrtcAddress };

const WEBRTC_ADDRESS = /^webrtc:([a-z2-7]{16})$/;

/**
 * What WebRTC needs of the lobby client (server/lobby/lobby-client.ts satisfies it): `signal`
 * frames both ways, and word when registration ends. Only the negotiation crosses the lobby; a
 * link once open runs peer to peer and outlives the lobby socket.
 */
export interface SignalCarrier {
  readonly registered: boolean;
  send(msg: LobbyClientMessage): boolean;
  on(listener: { message?(msg: LobbyServerMessage): void; down?(reason: string): void }): () => void;
}

/** An ICE server as libdatachannel takes it: `stun:host:port`, or TURN with its credentials. */
export type IceServer =
  | string
  | {
      hostname: string;
      port: number;
      username?: string;
      password?: string;
      relayType?: "TurnUdp" | "TurnTcp" | "TurnTls";
    };

export interface WebRtcTransportOptions {
  carrier: SignalCarrier;
  /** ICE servers (STUN, TURN) as they are now: read at every dial and every answer. */
  iceServers?: () => IceServer[];
  /** Why WebRTC is off right now (`network.enableWebRtc`), or undefined. */
  disabled?: () => string | undefined;
  /** A negotiation whose channel is not open in this long is given up (default 20 s). */
  negotiateTimeoutMs?: number;
  /** The largest frame a link takes (`network.maxFrameBytes`). */
  maxFrameBytes?: () => number;
  /** The add-on; the embedded one by default. */
  native?: () => DataChannelNative;
}

/** The WebRTC transport; `close()` ends every link and negotiation and stops listening. */
export interface WebRtcTransport extends Transport {
  close(): void;
}

/** Negotiations answered at once, in all and from one peer, as relayed links mid-handshake are capped. */
export const MAX_PENDING_ANSWERS = 64;
export const MAX_PENDING_ANSWERS_PER_PEER = 4;
const NEGOTIATE_TIMEOUT_MS = 20_000;
const LABEL = "peer";
/** A negotiation whose ICE fails this soon is tried once more (see `dial`). */
const EARLY_FAILURE_MS = 2_000;
const ICE_ATTEMPTS = 2;

/** ICE found no working pair of candidates. */
class IceFailedError extends DialError {
  constructor(address: string) {
    super("unreachable", `no WebRTC path to ${address}: ICE failed`);
  }
}

/** How long direct paths run alone before WebRTC joins the race. */
export const DIRECT_HEAD_START_MS = 500;

/** One offer or answer in flight: its connection, and what ends it. */
interface Negotiation {
  readonly peer: string;
  readonly role: "dialer" | "answerer";
  readonly pc: PeerConnection;
  /** Candidates that came before the remote description, applied once it is set. */
  early: Array<{ candidate: string; mid: string }>;
  described: boolean;
  fail(why: DialError): void;
}

/**
 * Peer links over WebRTC data channels (docs/architecture.md, "The fabric"), negotiated with
 * trickle ICE over the lobby's `signal` frames (`rtcSignal`, protocol/lobby.ts). The handshake and
 * sealed frames run over the channel unchanged, so trust does not depend on the lobby either.
 */
export function createWebRtcTransport(opts: WebRtcTransportOptions): WebRtcTransport {
  const { carrier } = opts;
  const native = opts.native ?? dataChannelNative;
  const timeoutMs = opts.negotiateTimeoutMs ?? NEGOTIATE_TIMEOUT_MS;
  const negotiations = new Map<string, Negotiation>();
  const links = new Set<WebRtcLink>();
  const answering = new Map<string, number>();
  let accept: ((link: Link) => unknown) | undefined;
  const keyOf = (peer: string, id: string) => `${peer}/${id}`;
  const signal = (to: string, data: RtcSignal) => carrier.send({ type: "signal", to, data });
  const maxFrame = () => opts.maxFrameBytes?.() ?? 16 * 1024 * 1024;

  /** A peer connection wired to trickle its description and candidates to `peer` as `id`. */
  function connection(peer: string, id: string): PeerConnection {
    const pc = new (native().PeerConnection)(`weft-${id}`, { iceServers: opts.iceServers?.() ?? [] });
    pc.onLocalDescription((sdp, type) => {
      const kind = type.toLowerCase() === "offer" ? "rtc_offer" : "rtc_answer";
      signal(peer, { kind, link: id, sdp });
    });
    pc.onLocalCandidate((candidate, mid) =>
      signal(peer, { kind: "rtc_candidate", link: id, candidate, mid }),
    );
    return pc;
  }

  function closePc(pc: PeerConnection): void {
    try {
      pc.close();
    } catch {
      // Closed already.
    }
  }

  function opened(link: WebRtcLink): void {
    links.add(link);
    link.onClose(() => links.delete(link));
  }

  function onOffer(peer: string, id: string, sdp: string): void {
    const key = keyOf(peer, id);
    if (negotiations.has(key)) return;
    const refused = opts.disabled?.() ?? (accept ? undefined : "not accepting WebRTC links");
    if (refused) {
      signal(peer, { kind: "rtc_end", link: id, reason: refused });
      return;
    }
    const fromPeer = answering.get(peer) ?? 0;
    if (negotiations.size >= MAX_PENDING_ANSWERS || fromPeer >= MAX_PENDING_ANSWERS_PER_PEER) {
      signal(peer, { kind: "rtc_end", link: id, reason: "too many WebRTC negotiations at once" });
      return;
    }
    let pc: PeerConnection;
    try {
      pc = connection(peer, id);
    } catch (err) {
      signal(peer, { kind: "rtc_end", link: id, reason: (err as Error).message.slice(0, 200) });
      return;
    }
    answering.set(peer, fromPeer + 1);
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      negotiations.delete(key);
      const left = (answering.get(peer) ?? 1) - 1;
      if (left > 0) answering.set(peer, left);
      else answering.delete(peer);
    };
    const timer = setTimeout(() => {
      settle();
      signal(peer, { kind: "rtc_end", link: id, reason: "the WebRTC negotiation timed out" });
      closePc(pc);
    }, timeoutMs);
    timer.unref?.();
    const negotiation: Negotiation = {
      peer,
      role: "answerer",
      pc,
      early: [],
      described: false,
      fail() {
        settle();
        closePc(pc);
      },
    };
    negotiations.set(key, negotiation);
    pc.onDataChannel((dc) => {
      if (settled || dc.getLabel() !== LABEL) {
        dc.close();
        return;
      }
      settle();
      const link = new WebRtcLink({ pc, dc, peer, direction: "inbound", maxFrameBytes: maxFrame() });
      opened(link);
      // The acceptor owns the link from here: it closes it when the handshake fails.
      void Promise.resolve(accept?.(link)).catch(() => {});
    });
    describe(negotiation, sdp, "offer");
  }

  function describe(n: Negotiation, sdp: string, type: "offer" | "answer"): void {
    try {
      n.pc.setRemoteDescription(sdp, type);
      n.described = true;
      for (const c of n.early.splice(0)) n.pc.addRemoteCandidate(c.candidate, c.mid);
    } catch (err) {
      n.fail(
        new DialError("unreachable", `the peer's WebRTC ${type} was refused: ${(err as Error).message}`),
      );
    }
  }

  function onSignal(peer: string, data: unknown): void {
    const parsed = rtcSignal.safeParse(data);
    if (!parsed.success) return;
    const s = parsed.data;
    const n = negotiations.get(keyOf(peer, s.link));
    switch (s.kind) {
      case "rtc_offer":
        onOffer(peer, s.link, s.sdp);
        return;
      case "rtc_answer":
        if (n?.role === "dialer" && !n.described) describe(n, s.sdp, "answer");
        return;
      case "rtc_candidate":
        if (!n) return;
        if (!n.described) {
          if (n.early.length < 64) n.early.push({ candidate: s.candidate, mid: s.mid });
          return;
        }
        try {
          n.pc.addRemoteCandidate(s.candidate, s.mid);
        } catch {
          // A candidate it cannot use: ICE goes on with the others.
        }
        return;
      case "rtc_end":
        n?.fail(
          new DialError("unreachable", `${webrtcAddress(peer)} ended the WebRTC negotiation: ${s.reason}`),
        );
        return;
      default: {
        const never: never = s;
        throw new Error(`unhandled WebRTC signal ${String(never)}`);
      }
    }
  }

  const unsubscribe = carrier.on({
    message(msg) {
      if (msg.type === "signal") onSignal(msg.from, msg.data);
    },
    down() {
      // Links run peer to peer; only negotiations needed the lobby.
      for (const n of [...negotiations.values()]) {
        n.fail(new DialError("unreachable", "the lobby connection was lost while WebRTC was negotiating"));
      }
    },
  });

  async function dial(address: string, dialTimeoutMs: number, abort: AbortSignal | undefined): Promise<Link> {
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        return await negotiate(address, dialTimeoutMs - (Date.now() - started), abort);
      } catch (err) {
        // ICE that fails within moments of starting, with both ends answering, is the library
        // losing a race of its own (seen on one host, a few times in a thousand): a fresh
        // negotiation succeeds. A path that is truly not there fails again, and that is final.
        const early = err instanceof IceFailedError && Date.now() - started < EARLY_FAILURE_MS;
        if (!early || attempt >= ICE_ATTEMPTS || abort?.aborted) throw err;
      }
    }
  }

  async function negotiate(
    address: string,
    dialTimeoutMs: number,
    abort: AbortSignal | undefined,
  ): Promise<Link> {
    const peer = WEBRTC_ADDRESS.exec(address.trim())?.[1];
    if (!peer)
      throw new DialError("bad_address", `"${address.slice(0, 120)}" is not a webrtc:<node id> address`);
    const cancelled = () => new DialError("aborted", `the dial of ${webrtcAddress(peer)} was cancelled`);
    if (abort?.aborted) throw cancelled();
    const why = opts.disabled?.();
    if (why) throw new DialError("disabled", why);
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (abort?.aborted) throw cancelled();
    if (!carrier.registered)
      throw new DialError("unreachable", "no lobby connection to negotiate WebRTC through");
    let id = randomBytes(4).toString("hex");
    while (negotiations.has(keyOf(peer, id))) id = randomBytes(4).toString("hex");
    const key = keyOf(peer, id);
    let pc: PeerConnection;
    try {
      pc = connection(peer, id);
    } catch (err) {
      // No add-on for this platform, or it would not load: WebRTC is off here, and says why.
      throw new DialError("disabled", (err as Error).message);
    }
    return new Promise<Link>((resolve, reject) => {
      let done = false;
      const finish = () => {
        done = true;
        clearTimeout(timer);
        abort?.removeEventListener("abort", onAbort);
        negotiations.delete(key);
      };
      const giveUp = (err: DialError, tell?: string) => {
        if (done) return;
        finish();
        if (tell) signal(peer, { kind: "rtc_end", link: id, reason: tell });
        closePc(pc);
        reject(err);
      };
      const onAbort = () => giveUp(cancelled(), "dial cancelled");
      const timer = setTimeout(
        () =>
          giveUp(
            new DialError(
              "timeout",
              `no WebRTC channel to ${webrtcAddress(peer)} within ${Math.round(dialTimeoutMs / 1000)} s`,
            ),
            "the WebRTC negotiation timed out",
          ),
        dialTimeoutMs,
      );
      abort?.addEventListener("abort", onAbort, { once: true });
      negotiations.set(key, {
        peer,
        role: "dialer",
        pc,
        early: [],
        described: false,
        fail: (err) => giveUp(err),
      });
      pc.onStateChange((state) => {
        if (state === "failed") giveUp(new IceFailedError(webrtcAddress(peer)), "ICE failed");
      });
      try {
        const dc = pc.createDataChannel(LABEL, {});
        dc.onOpen(() => {
          if (done) return;
          finish();
          const link = new WebRtcLink({ pc, dc, peer, direction: "outbound", maxFrameBytes: maxFrame() });
          opened(link);
          resolve(link);
        });
      } catch (err) {
        giveUp(new DialError("unreachable", `WebRTC could not start: ${(err as Error).message}`));
      }
    });
  }

  return {
    name: WEBRTC,
    // A short head start for direct paths: on a LAN they link in milliseconds, and a negotiation
    // that would only be closed again is not started.
    raceAfterMs: DIRECT_HEAD_START_MS,
    disabled: () => opts.disabled?.(),
    handles: (address) => WEBRTC_ADDRESS.test(address.trim()),
    dial: (address, o) => dial(address, o?.timeoutMs ?? timeoutMs, o?.signal),
    listen(listener) {
      accept = listener;
      return () => {
        if (accept === listener) accept = undefined;
      };
    },
    close() {
      unsubscribe();
      accept = undefined;
      for (const n of [...negotiations.values()]) n.fail(new DialError("aborted", "WebRTC stopped"));
      for (const link of [...links]) link.close(1001, "WebRTC stopped");
    },
  };
}
