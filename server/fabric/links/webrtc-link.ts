import type { DataChannel, PeerConnection } from "./datachannel-native.ts";
import { CLOSE, LinkBase, LinkClosedError } from "./link.ts";
import { closeMessage, FrameAssemblyError, FrameJoiner, packFrames, readClose } from "./webrtc-frames.ts";

/** The WebRTC transport's path type: a data channel negotiated through the lobby's signals. */
export const WEBRTC = "webrtc";

/** A WebRTC path's address: `webrtc:<node id>` (the peer, negotiated with through this node's lobby). */
export function webrtcAddress(nodeId: string): string {
  return `${WEBRTC}:${nodeId}`;
}

/** "Try again later": the channel is fine but full, so the link closes and the node dials again. */
const TRY_LATER = 1013;
/**
 * Past this much queued in the data channel the link closes rather than hold more: a direct
 * link's socket buffers the same way, and a session sends with a window, so only a peer that
 * stopped reading gets here.
 */
export const CHANNEL_BUFFER_BYTES = 32 * 1024 * 1024;
/** Messages are at most this, well under libdatachannel's 256 KiB limit. */
const MESSAGE_BYTES = 64 * 1024;
/** After our close went out, how long the other end has to close its side before ours goes anyway. */
const CLOSE_LINGER_MS = 1_000;

/**
 * One peer link over an RTCDataChannel (label `peer`, ordered, reliable). Frames sent in one turn
 * of the event loop go out together, packed into as few messages as fit (`webrtc-frames.ts`):
 * each message costs the native library far more than its bytes, and a session sends a window of
 * frames at once. The link's close code and reason go as a message before the channel closes.
 * Owns its peer connection: closing the link closes it.
 */
export class WebRtcLink extends LinkBase {
  readonly transport = WEBRTC;
  readonly direction: "inbound" | "outbound";
  readonly remoteAddress: string;
  readonly peer: string;
  readonly #pc: PeerConnection;
  readonly #dc: DataChannel;
  readonly #joiner: FrameJoiner;
  /** Frames sent this turn, packed and handed to the channel at its end. */
  #outbox: Array<string | Uint8Array> = [];
  #outboxBytes = 0;
  #torn = false;

  constructor(opts: {
    pc: PeerConnection;
    dc: DataChannel;
    peer: string;
    direction: "inbound" | "outbound";
    maxFrameBytes: number;
  }) {
    super();
    this.#pc = opts.pc;
    this.#dc = opts.dc;
    this.peer = opts.peer;
    this.direction = opts.direction;
    this.remoteAddress = webrtcAddress(opts.peer);
    this.#joiner = new FrameJoiner(opts.maxFrameBytes);
    opts.dc.onMessage((msg) => this.#received(msg));
    opts.dc.onClosed(() => this.#ended(CLOSE.goingAway, "the WebRTC channel closed"));
    opts.dc.onError((err) => this.#ended(CLOSE.goingAway, `the WebRTC channel failed: ${err}`));
    opts.pc.onStateChange((state) => {
      if (state === "failed" || state === "closed" || state === "disconnected") {
        this.#ended(CLOSE.goingAway, `the WebRTC connection is ${state}`);
      }
    });
  }

  /** The candidate pair in use, `local -> remote` with their types, for the peer row. */
  get route(): string | undefined {
    try {
      const pair = this.#pc.getSelectedCandidatePair();
      if (!pair) return undefined;
      return `${pair.local.type} ${pair.local.address} -> ${pair.remote.type} ${pair.remote.address}`;
    } catch {
      return undefined;
    }
  }

  protected transmit(frame: string | Uint8Array): void {
    if (this.#dc.bufferedAmount() + this.#outboxBytes > CHANNEL_BUFFER_BYTES) {
      this.close(TRY_LATER, "the peer is not keeping up");
      throw new LinkClosedError("link is closed (the peer is not keeping up)");
    }
    if (this.#outbox.length === 0) queueMicrotask(() => this.#flush());
    this.#outbox.push(frame);
    this.#outboxBytes += typeof frame === "string" ? frame.length * 3 : frame.length;
  }

  /** Hands what was sent this turn to the channel; false when the channel failed (the link then ends). */
  #flush(): boolean {
    const frames = this.#outbox;
    if (frames.length === 0) return true;
    this.#outbox = [];
    this.#outboxBytes = 0;
    if (this.#torn) return false;
    try {
      for (const message of packFrames(frames, MESSAGE_BYTES)) this.#dc.sendMessageBinary(message);
      return true;
    } catch (err) {
      this.#ended(CLOSE.goingAway, `the WebRTC channel failed: ${(err as Error).message}`);
      return false;
    }
  }

  protected shutdown(code: number, reason: string): void {
    // What was sent before the close goes before it.
    if (!this.#flush()) return;
    try {
      this.#dc.sendMessageBinary(closeMessage(code, reason));
    } catch {
      this.#teardown();
      return;
    }
    // The other end closes its side when it reads this; the connection goes then, or a moment later.
    const timer = setTimeout(() => this.#teardown(), CLOSE_LINGER_MS);
    timer.unref?.();
  }

  #received(msg: string | Buffer | ArrayBuffer): void {
    if (!this.isOpen) return;
    if (typeof msg === "string") {
      this.#ended(CLOSE.protocolError, "a text message on the WebRTC channel");
      return;
    }
    const bytes =
      msg instanceof ArrayBuffer
        ? new Uint8Array(msg)
        : new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
    const close = readClose(bytes);
    if (close) {
      this.#ended(close.code, close.reason);
      return;
    }
    let frames: Array<string | Uint8Array>;
    try {
      frames = this.#joiner.push(bytes);
    } catch (err) {
      const tooBig = err instanceof FrameAssemblyError && err.message.includes("larger");
      this.close(tooBig ? CLOSE.tooBig : CLOSE.protocolError, (err as Error).message);
      return;
    }
    for (const frame of frames) this.deliver(frame);
  }

  /** The other end, the channel or the connection ended it. */
  #ended(code: number, reason: string): void {
    this.closed(code, reason);
    this.#teardown();
  }

  #teardown(): void {
    if (this.#torn) return;
    this.#torn = true;
    try {
      this.#dc.close();
    } catch {
      // Closed already.
    }
    try {
      this.#pc.close();
    } catch {
      // Closed already.
    }
  }
}
