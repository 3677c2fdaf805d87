/**
 * The first-run checklist as plain data: which steps are done, and the words for each state. The
 * pane only gathers the facts (settings, peers) and renders what these functions say.
 */

/** The longest node name the `network.nodeName` setting takes. */
export const MAX_NAME_LENGTH = 64;

/** What the node reports about the name it goes by. */
export interface NameFacts {
  /** The stored `network.nodeName`; blank means "use the host name". */
  stored: string;
  /** The name peers see now: the stored one, a `--name` override, or the host name. */
  effective: string;
  /** Where an override for this run came from (`--name`), if any. */
  overriddenBy?: string | undefined;
}

/** Everything the checklist needs to tick its steps. */
export interface WelcomeFacts {
  name: NameFacts;
  /** Names of the nodes this one is paired with. */
  peers: readonly string[];
  /** Whether one of this node's own notes is shared with anyone. */
  shared: boolean;
}

export type StepId = "name" | "pair" | "share";

/** A node counts as named once a person chose a name, here, in Settings or with `--name`. */
export function isNamed(name: NameFacts): boolean {
  return name.stored.trim() !== "" || name.overriddenBy !== undefined;
}

export const STEPS: readonly StepId[] = ["name", "pair", "share"];

/** Which steps are done, by what the node reports: its name, its peers, its shared notes. */
export function doneSteps(facts: WelcomeFacts): ReadonlySet<StepId> {
  const done = new Set<StepId>();
  if (isNamed(facts.name)) done.add("name");
  if (facts.peers.length > 0) done.add("pair");
  if (facts.shared) done.add("share");
  return done;
}

/** "Nothing done yet", "2 of 3 done", "All done": how far the checklist is. */
export function progressLabel(done: ReadonlySet<StepId>): string {
  const count = STEPS.filter((s) => done.has(s)).length;
  if (count === 0) return "Nothing done yet";
  if (count === STEPS.length) return "All done: you are working together";
  return `${count} of ${STEPS.length} done`;
}

/** A listed Scratch note, as far as the share step cares. */
export interface NoteFacts {
  /** Null for a note of this node. */
  owner: unknown;
  sharedWith: readonly unknown[];
}

/** True once one of this node's own notes is shared with someone. */
export function sharesANote(notes: readonly NoteFacts[]): boolean {
  return notes.some((n) => n.owner === null && n.sharedWith.length > 0);
}

/** The line under the name step: what peers see now, and where that name comes from. */
export function nameStatus(name: NameFacts): string {
  if (name.overriddenBy) {
    return `Peers see “${name.effective}”, set by ${name.overriddenBy} for this run. A name saved here is used when weft starts without it.`;
  }
  if (name.stored.trim() !== "") return `Peers see you as “${name.effective}”.`;
  return `Until you choose one, peers see this computer's name, “${name.effective}”.`;
}

/** A name as typed, checked the way the setting checks it; null when it is fine. */
export function nameProblem(text: string): string | null {
  const value = text.trim();
  if (value === "") return "Type a name first.";
  if (value.length > MAX_NAME_LENGTH) return `A name has at most ${MAX_NAME_LENGTH} characters.`;
  return null;
}

/** "Paired with alice", "… alice and bob", "… alice, bob and 3 others". */
export function pairedSummary(peers: readonly string[]): string {
  const names = peers.map((n) => n.trim() || "an unnamed node");
  const [first, second] = names;
  if (first === undefined) return "Not paired with anyone yet.";
  if (second === undefined) return `Paired with ${first}.`;
  if (names.length === 2) return `Paired with ${first} and ${second}.`;
  const rest = names.length - 2;
  return `Paired with ${first}, ${second} and ${rest} ${rest === 1 ? "other" : "others"}.`;
}
