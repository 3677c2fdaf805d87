import type { Link } from "./links/link.ts";

/**
 * Reads a link one frame at a time during the handshake. Frames that arrive after the handshake's
 * last read are kept and handed to the session, so none is lost at the hand-over.
 */
export class FrameQueue {
  readonly #frames: Array<string | Uint8Array> = [];
  #waiter: ((frame: string | Uint8Array | undefined) => void) | undefined;
  #closed = false;
  readonly #off: Array<() => void>;

  constructor(link: Link) {
    this.#off = [
      link.onMessage((frame) => {
        if (this.#waiter) {
          const w = this.#waiter;
          this.#waiter = undefined;
          w(frame);
        } else this.#frames.push(frame);
      }),
      link.onClose(() => {
        this.#closed = true;
        this.#waiter?.(undefined);
        this.#waiter = undefined;
      }),
    ];
  }

  /** The next frame, or undefined when the link closed. */
  next(): Promise<string | Uint8Array | undefined> {
    const frame = this.#frames.shift();
    if (frame !== undefined) return Promise.resolve(frame);
    if (this.#closed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }

  /** Stops reading and returns what arrived but was not read. */
  detach(): Array<string | Uint8Array> {
    for (const off of this.#off) off();
    return this.#frames.splice(0);
  }
}
