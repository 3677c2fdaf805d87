import { eq } from "drizzle-orm";
import { z } from "zod";
import { type PluginPermission, pluginPermission } from "../../protocol/plugin.ts";
import type { WeftDb } from "../db/database.ts";
import { pluginGrants } from "../db/schema.ts";

type Row = typeof pluginGrants.$inferSelect;

/** One plugin's row, parsed: what its person allowed and was asked about, and whether it is on. */
export interface StoredGrants {
  granted: PluginPermission[];
  answered: PluginPermission[];
  decidedAt: number | null;
  enabled: boolean;
}

/** What a plugin without a row has: nothing allowed, nothing asked yet, turned on. */
export const NO_GRANTS: StoredGrants = { granted: [], answered: [], decidedAt: null, enabled: true };

const storedList = z.array(z.string());

/**
 * The person's answers for each third-party pane, in SQLite (`plugin_grants`). A permission is
 * kept only while the plugin still asks for it: `narrow` drops the rest when a `pane.json` asks
 * for less, so asking for it again later asks the person again.
 */
export class PluginGrantsStore {
  readonly #db: WeftDb;

  constructor(db: WeftDb) {
    this.#db = db;
  }

  /** One plugin's row, or undefined when its person never answered nor turned it off. */
  get(id: string): StoredGrants | undefined {
    const row = this.#db.select().from(pluginGrants).where(eq(pluginGrants.pluginId, id)).get();
    return row ? toStored(row) : undefined;
  }

  /** Every row, by plugin id. */
  all(): Map<string, StoredGrants> {
    return new Map(
      this.#db
        .select()
        .from(pluginGrants)
        .all()
        .map((r) => [r.pluginId, toStored(r)]),
    );
  }

  /**
   * The person answered for everything `asked`: `granted` is allowed (the caller checked it is
   * a subset of `asked`), the rest refused.
   */
  answer(
    id: string,
    granted: readonly PluginPermission[],
    asked: readonly PluginPermission[],
    now = Date.now(),
  ) {
    const fields = {
      granted: JSON.stringify(asked.filter((p) => granted.includes(p))),
      answered: JSON.stringify([...asked]),
      decidedAt: now,
      updatedAt: now,
    };
    return this.#upsert(id, fields);
  }

  /** Turns a plugin on or off, keeping what was granted. */
  setEnabled(id: string, enabled: boolean, now = Date.now()): StoredGrants {
    return this.#upsert(id, { enabled, updatedAt: now });
  }

  /**
   * Forgets what `id` was granted or asked about beyond what it `asks` now; true when that
   * changed its row.
   */
  narrow(id: string, asks: readonly PluginPermission[], now = Date.now()): boolean {
    const stored = this.get(id);
    if (!stored) return false;
    const granted = stored.granted.filter((p) => asks.includes(p));
    const answered = stored.answered.filter((p) => asks.includes(p));
    if (granted.length === stored.granted.length && answered.length === stored.answered.length) return false;
    this.#db
      .update(pluginGrants)
      .set({ granted: JSON.stringify(granted), answered: JSON.stringify(answered), updatedAt: now })
      .where(eq(pluginGrants.pluginId, id))
      .run();
    return true;
  }

  #upsert(id: string, fields: Partial<Omit<Row, "pluginId">> & { updatedAt: number }): StoredGrants {
    const row = this.#db
      .insert(pluginGrants)
      .values({ pluginId: id, ...fields })
      .onConflictDoUpdate({ target: pluginGrants.pluginId, set: fields })
      .returning()
      .get();
    return toStored(row);
  }
}

/** A column's JSON list, keeping only permissions this weft knows (a row may predate a change). */
function permissionsIn(json: string): PluginPermission[] {
  let list: string[];
  try {
    list = storedList.parse(JSON.parse(json));
  } catch {
    return [];
  }
  const known = list.filter((p): p is PluginPermission => pluginPermission.safeParse(p).success);
  return [...new Set(known)];
}

function toStored(row: Row): StoredGrants {
  return {
    granted: permissionsIn(row.granted),
    answered: permissionsIn(row.answered),
    decidedAt: row.decidedAt,
    enabled: row.enabled,
  };
}
