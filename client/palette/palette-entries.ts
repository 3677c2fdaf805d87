import type { PaneCommand } from "../../plugins/sdk/host.ts";
import { type FuzzyMatch, fuzzyFilter } from "./fuzzy.ts";

/** A command as the palette lists it: a pane's, or one of the shell's own with a line of detail. */
export interface PaletteCommand extends PaneCommand {
  description?: string;
  icon?: string;
}

/** One row of the palette: a pane to open or an action to run, matched in one list. */
export type PaletteEntry =
  | { kind: "pane"; key: string; id: string; title: string; description?: string; icon?: string }
  | {
      kind: "action";
      key: string;
      id: string;
      title: string;
      description?: string;
      icon?: string;
      command: PaletteCommand;
    };

/** The small label beside each row. */
export const KIND_LABEL: Record<PaletteEntry["kind"], string> = { pane: "Pane", action: "Action" };

interface PaneLike {
  id: string;
  title: string;
  description?: string;
  icon?: string;
  hidden?: boolean;
}

/**
 * Panes first, then the commands that are enabled right now, each under a key unique across
 * both kinds (a pane and a command may share an id). A command whose `enabled` throws is left
 * out rather than taking the palette down with it.
 */
export function paletteEntries(
  panes: readonly PaneLike[],
  commands: readonly PaletteCommand[],
): PaletteEntry[] {
  const entries: PaletteEntry[] = [];
  for (const pane of panes) {
    if (pane.hidden) continue;
    entries.push({ kind: "pane", key: `pane:${pane.id}`, ...pick(pane) });
  }
  const seen = new Set<string>();
  for (const command of commands) {
    if (seen.has(command.id) || !isEnabled(command)) continue;
    seen.add(command.id);
    entries.push({ kind: "action", key: `action:${command.id}`, ...pick(command), command });
  }
  return entries;
}

/** Entries that match the query, best first; a pane's id is matched too, after its title. */
export function filterEntries(
  entries: readonly PaletteEntry[],
  query: string,
): Array<{ item: PaletteEntry; match: FuzzyMatch; field: number }> {
  return fuzzyFilter(entries, query, (e) => (e.kind === "pane" ? [e.title, e.id] : [e.title]));
}

function pick(source: { id: string; title: string; description?: string; icon?: string }) {
  const out: { id: string; title: string; description?: string; icon?: string } = {
    id: source.id,
    title: source.title,
  };
  if (source.description) out.description = source.description;
  if (source.icon) out.icon = source.icon;
  return out;
}

function isEnabled(command: PaneCommand): boolean {
  try {
    return command.enabled ? command.enabled() : true;
  } catch {
    return false;
  }
}
