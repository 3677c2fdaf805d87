/**
 * Directory deltas, gathered and sent together (`directory_changes`, protocol/lobby.ts). A delta
 * goes to every registered socket, so one frame per change costs a send to each of N sockets: with
 * every node listed, a wave of N registrations (a lobby restart) is N² sends. Gathered, a wave
 * costs one publish per interval, whatever its size.
 *
 * Each node id is kept once, in its latest state, so a node that left and came back within one
 * interval is one `presence`, and one that came and left is one `gone`.
 */

/** A flush's frames stay this small: a node parses each in one go, and a storm fills several. */
const FRAME_BYTES = 1024 * 1024;
/** Room for `{"type":"directory_changes","presence":[],"gone":[]}`. */
const FRAME_OVERHEAD = 64;

export class DirectoryChanges {
  /** Node id → its directory entry as JSON text (listed), or null (no longer listed). */
  #pending = new Map<string, string | null>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #lastFlush = Number.NEGATIVE_INFINITY;
  readonly #intervalMs: number;
  readonly #publish: (text: string) => void;

  /** `publish` sends one frame to every registered socket; flushes are `intervalMs` apart at least. */
  constructor(intervalMs: number, publish: (text: string) => void) {
    this.#intervalMs = intervalMs;
    this.#publish = publish;
  }

  /** Changes not yet sent. */
  get pending(): number {
    return this.#pending.size;
  }

  /** `id` is listed as `entry` (JSON text of its directory entry). */
  listed(id: string, entry: string): void {
    this.#change(id, entry);
  }

  /** `id` is no longer listed. */
  gone(id: string): void {
    this.#change(id, null);
  }

  /** Sends what is pending now, in frames of at most about `FRAME_BYTES`. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#lastFlush = performance.now();
    if (this.#pending.size === 0) return;
    const pending = this.#pending;
    this.#pending = new Map();
    let presence: string[] = [];
    let gone: string[] = [];
    let bytes = FRAME_OVERHEAD;
    const send = () => {
      this.#publish(
        `{"type":"directory_changes","presence":[${presence.join(",")}],"gone":[${gone.join(",")}]}`,
      );
      presence = [];
      gone = [];
      bytes = FRAME_OVERHEAD;
    };
    for (const [id, entry] of pending) {
      // Entries are ASCII but for names: their length in UTF-16 units is their size within a factor
      // well under two, and costs no walk of their characters.
      const size = (entry === null ? id.length + 2 : entry.length) + 1;
      if (bytes + size > FRAME_BYTES && bytes > FRAME_OVERHEAD) send();
      if (entry === null) gone.push(`"${id}"`);
      else presence.push(entry);
      bytes += size;
    }
    send();
  }

  /** Drops what is pending and the timer (the lobby is stopping). */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending.clear();
  }

  #change(id: string, entry: string | null): void {
    // Deleted first so the id moves to the end: the frame lists changes in the order of their last.
    this.#pending.delete(id);
    this.#pending.set(id, entry);
    if (this.#timer !== undefined) return;
    // The first change after a quiet spell goes out at once (next turn); within an interval of the
    // last flush it waits for the interval's end, with every change that comes meanwhile.
    const wait = Math.max(0, this.#lastFlush + this.#intervalMs - performance.now());
    this.#timer = setTimeout(() => this.flush(), wait);
    this.#timer.unref?.();
  }
}
