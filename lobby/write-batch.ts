import type { ServerWebSocket } from "bun";

/** Something holding frames to write once the current turn of the event loop is over. */
export interface Flushable {
  flush(): void;
}

const unflushed = new Set<Flushable>();
let scheduled = false;

/**
 * Flushes `target` after this turn of the event loop: every frame the reads of this turn brought
 * for one socket then goes out in one write, instead of one system call per relayed frame.
 */
export function flushSoon(target: Flushable): void {
  unflushed.add(target);
  if (scheduled) return;
  scheduled = true;
  setImmediate(() => {
    scheduled = false;
    for (const t of unflushed) {
      try {
        t.flush();
      } catch {
        // A socket that went away mid-write loses its frames, and nothing else.
      }
    }
    unflushed.clear();
  });
}

/** Writes `frames` in order under one cork. */
export function writeCorked<T>(ws: ServerWebSocket<T>, frames: ReadonlyArray<string | Uint8Array>): void {
  ws.cork(() => {
    for (const frame of frames) {
      if (typeof frame === "string") ws.sendText(frame);
      else ws.sendBinary(frame);
    }
  });
}
