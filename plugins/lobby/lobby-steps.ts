/**
 * The steps of a room join as the guest's pane lists them (protocol/lobby-channel.ts `joinStep`):
 * the order, their words, and which are done, current, failed, still to come or skipped.
 */

import type { RoomSummary } from "../../protocol/lobby.ts";
import type { JoinStep } from "../../protocol/lobby-channel.ts";

/** Every step but `failed`, in the order a join goes through them. */
export const JOIN_ORDER = [
  "joining",
  "room_info",
  "waiting_for_host",
  "dialing_direct",
  "webrtc",
  "relay",
  "connected",
] as const satisfies readonly JoinStep[];

/** A step a join can stand at; `failed` is not a place but what happened at one. */
export type ProgressStep = (typeof JOIN_ORDER)[number];

/** What the list says for each step, and what the current one says while it is under way. */
const LABELS: Record<JoinStep, { label: string; active: string }> = {
  joining: { label: "Asked the lobby", active: "Asking the lobby" },
  room_info: { label: "Found the host", active: "Finding the host" },
  waiting_for_host: { label: "Host accepted", active: "Waiting for the host to accept" },
  dialing_direct: { label: "Dialed directly", active: "Dialing the host directly" },
  webrtc: { label: "Tried peer to peer (WebRTC)", active: "Linking peer to peer (WebRTC)" },
  relay: { label: "Relayed through the lobby", active: "Linking through the lobby's relay" },
  connected: { label: "Connected", active: "Connected" },
  failed: { label: "Failed", active: "Failed" },
};

/** The step's name in the list: in the past tense once done, in progress while `current` (or where it failed). */
export function joinStepLabel(step: JoinStep, current = false): string {
  return current ? LABELS[step].active : LABELS[step].label;
}

/** Where a step is in its order; -1 for `failed`. */
export function stepIndex(step: JoinStep): number {
  return (JOIN_ORDER as readonly JoinStep[]).indexOf(step);
}

/** The later of two steps, so a late progress frame cannot move a join backwards. */
export function laterStep(a: ProgressStep, b: ProgressStep): ProgressStep {
  return stepIndex(b) > stepIndex(a) ? b : a;
}

export type StepPhase = "done" | "current" | "failed" | "todo" | "skipped";

/** One line of the step list. */
export interface StepLine {
  step: ProgressStep;
  label: string;
  phase: StepPhase;
}

/** What the step list is drawn from: a join as `lobby-model.ts` keeps it. */
export interface StepSource {
  step: JoinStep;
  /** The furthest step the join reached; a failure keeps it, to show where the join stopped. */
  reached: ProgressStep;
  /** Steps the node reported, so one a join never went through shows as skipped. */
  seen: readonly JoinStep[];
  policy: RoomSummary["policy"] | null;
  transport: string | null;
}

/**
 * The steps to list for a join, each with its phase. A token room admits by its token, so it has
 * no "waiting for the host" unless the node says otherwise; a join that linked directly skipped
 * the relay, and one that never waited for the host skipped that.
 */
export function joinStepLines(join: StepSource): StepLine[] {
  const seen = new Set(join.seen);
  const steps = JOIN_ORDER.filter(
    (step) => step !== "waiting_for_host" || join.policy !== "token" || seen.has(step),
  );
  const reached = stepIndex(join.reached);
  return steps.map((step) => {
    const at = stepIndex(step);
    let phase: StepPhase;
    if (join.step === "connected") phase = connectedPhase(step, seen, join.transport);
    else if (at < reached) phase = step === "waiting_for_host" && !seen.has(step) ? "skipped" : "done";
    else if (at === reached) phase = join.step === "failed" ? "failed" : "current";
    else phase = "todo";
    // A failed step is named by what it was doing: "Asking the lobby", with its cross.
    return { step, label: joinStepLabel(step, phase === "current" || phase === "failed"), phase };
  });
}

/** Once linked, every step was done except the ones this join had no need of. */
function connectedPhase(
  step: ProgressStep,
  seen: ReadonlySet<JoinStep>,
  transport: string | null,
): StepPhase {
  if (seen.has(step)) return "done";
  switch (step) {
    case "joining":
    case "room_info":
    case "connected":
      // Every join asks and finds the host.
      return "done";
    case "dialing_direct":
      // Tried only when a direct address was known and direct links are on: done if it linked.
      return transport === "direct" ? "done" : "skipped";
    case "webrtc":
      return transport === "webrtc" ? "done" : "skipped";
    case "relay":
      return transport === "relay" ? "done" : "skipped";
    case "waiting_for_host":
      return "skipped";
  }
}

const TRANSPORTS: Readonly<Record<string, string>> = {
  relay: "relayed through the lobby",
  direct: "direct",
  webrtc: "peer to peer (WebRTC)",
};

/** How the new link travels, in the words the join's outcome uses. */
export function transportLabel(transport: string | null | undefined): string {
  if (!transport) return "over an unnamed path";
  return TRANSPORTS[transport] ?? transport;
}
