import type { PluginViolation } from "../../protocol/plugin.ts";

/** Violations kept per plugin; older ones only add to the count. */
export const RECENT_VIOLATIONS = 20;
/** At most one log line per plugin this often, however often its frame is blocked. */
export const LOG_EVERY_MS = 10_000;

/** What one plugin's frame was stopped from doing, as `PluginRow.blocked` shows it. */
export interface FrameBlocked {
  count: number;
  recent: PluginViolation[];
}

interface PerPlugin extends FrameBlocked {
  loggedAt: number;
}

/**
 * The content-security-policy reports of plugin frames (docs/architecture.md, "Plugins in a
 * sandbox"), in memory only: a count and the newest few per plugin, so a frame that tries the
 * same thing in a loop grows nothing but a number. Only installed plugins are recorded.
 */
export class FrameReports {
  readonly #by = new Map<string, PerPlugin>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Records one violation; `log` says whether this one may have a log line. */
  record(plugin: string, violation: Omit<PluginViolation, "at">): { count: number; log: boolean } {
    const at = this.#now();
    const entry = this.#by.get(plugin) ?? { count: 0, recent: [], loggedAt: Number.NEGATIVE_INFINITY };
    entry.count += 1;
    entry.recent.push({ ...violation, at });
    if (entry.recent.length > RECENT_VIOLATIONS)
      entry.recent.splice(0, entry.recent.length - RECENT_VIOLATIONS);
    const log = at - entry.loggedAt >= LOG_EVERY_MS;
    if (log) entry.loggedAt = at;
    this.#by.set(plugin, entry);
    return { count: entry.count, log };
  }

  /** A copy of what was recorded for `plugin`, newest last. */
  of(plugin: string): FrameBlocked {
    const entry = this.#by.get(plugin);
    return { count: entry?.count ?? 0, recent: entry ? entry.recent.map((v) => ({ ...v })) : [] };
  }
}
