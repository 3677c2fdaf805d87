import { PERMISSION_WORDS, type PluginPermission, type PluginRow } from "../../protocol/plugin.ts";
import type { AuditLog } from "../fabric/audit-log.ts";
import type { PaneCatalog } from "../panes/pane-catalog.ts";
import type { PluginRecord } from "../panes/plugin-loader.ts";
import { NO_GRANTS, type PluginGrantsStore, type StoredGrants } from "./grants-store.ts";

/** Why a plugin call was refused, with the status it answers; the message is shown as is. */
export class PluginRefusal extends Error {
  override readonly name = "PluginRefusal";
  readonly status: 400 | 403 | 404 | 429;
  constructor(status: 400 | 403 | 404 | 429, message: string) {
    super(message);
    this.status = status;
  }
}

export interface PluginServiceDeps {
  panes: PaneCatalog;
  grants: PluginGrantsStore;
  audit: AuditLog;
}

/** A usable or refused plugin, with its manifest's permissions, as a call about it sees it. */
export interface PluginInfo {
  id: string;
  name: string;
  record: PluginRecord;
  asks: PluginPermission[];
  stored: StoredGrants;
}

/**
 * Installed plugins as their person manages them (docs/architecture.md, "Plugins in a sandbox"):
 * what each asks for, what it was granted, whether it is on, what its frame was blocked from.
 * Every permission is checked here again whatever the workspace checked first, so a call that
 * reaches `/api/plugins` on its own is held to the same answers.
 */
export class PluginService {
  readonly #d: PluginServiceDeps;

  constructor(deps: PluginServiceDeps) {
    this.#d = deps;
    // Before the listener serves anything: a plugin turned off stays off from the first request.
    for (const [id, stored] of deps.grants.all()) if (!stored.enabled) deps.panes.setTurnedOff(id, true);
  }

  /**
   * Forgets grants and answers for permissions a plugin's `pane.json` no longer asks for. Only
   * usable plugins: a refused one's manifest could not be read, which says nothing of what it asks.
   */
  narrowToManifests(): number {
    let changed = 0;
    for (const r of this.#d.panes.plugins()) {
      if (r.manifest && this.#d.grants.narrow(r.listing.id, r.manifest.permissions)) changed += 1;
    }
    return changed;
  }

  /** Every installed plugin, refused ones too, in scan order. */
  list(): PluginRow[] {
    const stored = this.#d.grants.all();
    return this.#d.panes.plugins().map((r) => this.#row(r, stored.get(r.listing.id) ?? NO_GRANTS));
  }

  /** One plugin's row; throws 404 for an id no plugin folder has. */
  row(id: string): PluginRow {
    const info = this.info(id);
    return this.#row(info.record, info.stored);
  }

  /** A plugin by id, or a 404 naming the id. */
  info(id: string): PluginInfo {
    const record = this.#d.panes.plugin(id);
    if (!record) throw new PluginRefusal(404, `no plugin called ${JSON.stringify(id.slice(0, 60))}`);
    return {
      id: record.listing.id,
      name: record.listing.title,
      record,
      asks: record.manifest?.permissions ?? [],
      stored: this.#d.grants.get(record.listing.id) ?? NO_GRANTS,
    };
  }

  /** The person's answer: `granted` allowed, everything else the plugin asks for refused. */
  grant(id: string, granted: readonly PluginPermission[]): PluginRow {
    const info = this.info(id);
    const extra = granted.find((p) => !info.asks.includes(p));
    if (extra !== undefined)
      throw new PluginRefusal(400, `"${extra}" is not something ${info.name} asks for`);
    const stored = this.#d.grants.answer(info.id, granted, info.asks);
    this.#d.audit.record("plugin_grants", null, { plugin: info.id, granted: stored.granted });
    return this.#row(info.record, stored);
  }

  /** Turns a plugin on or off: off, it is listed with the reason, not served and not usable. */
  enable(id: string, enabled: boolean): PluginRow {
    const info = this.info(id);
    const stored = this.#d.grants.setEnabled(info.id, enabled);
    this.#d.panes.setTurnedOff(info.id, !enabled);
    this.#d.audit.record("plugin_enabled", null, { plugin: info.id, enabled });
    return this.#row(info.record, stored);
  }

  /**
   * The plugin, if it may use `permission` now: it is on, it loaded, its `pane.json` asks for
   * it and its person allowed it. Otherwise a 404 or 403 that says which of these failed.
   */
  allowed(id: string, permission: PluginPermission): PluginInfo {
    const info = this.info(id);
    if (!info.stored.enabled) throw new PluginRefusal(403, `${info.name} is turned off`);
    if (info.record.error !== undefined) {
      throw new PluginRefusal(403, `${info.name} could not be loaded: ${info.record.error}`);
    }
    if (!info.asks.includes(permission)) {
      throw new PluginRefusal(403, `${info.name} does not ask for ${permission} in its pane.json`);
    }
    if (!info.stored.granted.includes(permission)) {
      throw new PluginRefusal(403, `${info.name} is not allowed to ${wordsFor(permission)}`);
    }
    return info;
  }

  #row(record: PluginRecord, stored: StoredGrants): PluginRow {
    const { listing } = record;
    const asks = record.manifest?.permissions ?? [];
    const row: PluginRow = {
      id: listing.id,
      name: listing.title,
      version: listing.version,
      permissions: [...asks],
      // Narrowed again here, not only at start: the rows must hold whatever the table says.
      granted: asks.filter((p) => stored.granted.includes(p)),
      decided: asks.every((p) => stored.answered.includes(p)),
      enabled: stored.enabled,
      blocked: this.#d.panes.frameReports.of(listing.id),
    };
    if (listing.icon !== undefined) row.icon = listing.icon;
    if (listing.description !== undefined) row.description = listing.description;
    if (record.error !== undefined) row.error = record.error;
    return row;
  }
}

/** A permission's words for people, as the end of a sentence. */
export function wordsFor(permission: PluginPermission): string {
  const words = PERMISSION_WORDS[permission];
  return words.charAt(0).toLowerCase() + words.slice(1);
}
