import type { PairResult, PairStage, PeerRow } from "../../protocol/network.ts";

export type PairKind = "redeem" | "dial";

/** Long enough for a dial that tries every address of an invite; past it the user hears why. */
const ANSWER_TIMEOUT_MS = 45_000;

/**
 * The one pairing (invite redeem or address dial) this tab runs at a time. `pair_progress` and
 * `pair_result` carry no request id, so a second concurrent attempt could not tell its frames
 * from the first one's; the forms stay disabled while `busy`.
 */
export class Pairing {
  kind: PairKind | null = $state(null);
  stage: PairStage | null = $state(null);
  error: string | null = $state(null);
  peer: PeerRow | null = $state.raw(null);
  busy = $state(false);

  /** Frames are accepted from `begin` until the result, even after a failed progress frame. */
  #awaiting = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  begin(kind: PairKind): void {
    clearTimeout(this.#timer);
    this.kind = kind;
    this.stage = "dialing";
    this.error = null;
    this.peer = null;
    this.busy = true;
    this.#awaiting = true;
    this.#timer = setTimeout(
      () => this.fail(`No answer after ${ANSWER_TIMEOUT_MS / 1000} s. It may still finish; watch the list.`),
      ANSWER_TIMEOUT_MS,
    );
  }

  /** True while a result for this tab's attempt may still arrive. */
  get awaiting(): boolean {
    return this.#awaiting;
  }

  progress(stage: PairStage, error?: string): void {
    if (!this.#awaiting) return;
    this.stage = stage;
    if (stage === "failed") {
      this.error = error ?? this.error ?? "pairing failed";
      this.busy = false;
    }
  }

  result(result: PairResult): void {
    if (!this.#awaiting) return;
    this.#settle();
    if (result.ok) {
      this.stage = "connected";
      this.peer = result.peer ?? null;
      this.error = null;
    } else {
      this.stage = "failed";
      this.error = result.error ?? this.error ?? "pairing failed";
    }
  }

  fail(message: string): void {
    if (!this.#awaiting) return;
    this.#settle();
    this.stage = "failed";
    this.error = message;
  }

  /** Forgets a finished attempt so its form shows no stale outcome. */
  clear(): void {
    if (this.#awaiting) return;
    this.kind = null;
    this.stage = null;
    this.error = null;
    this.peer = null;
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#awaiting = false;
  }

  #settle(): void {
    clearTimeout(this.#timer);
    this.#awaiting = false;
    this.busy = false;
  }
}
