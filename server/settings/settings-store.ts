import { eq } from "drizzle-orm";
import type { z } from "zod";
import type { WeftDb } from "../db/database.ts";
import { settings } from "../db/schema.ts";
import {
  SECRET_SHOWN,
  type SettingDefinition,
  type SettingsRegistry,
  SettingValidationError,
} from "./registry.ts";

export type SettingsListener = (changed: Record<string, unknown>) => void;

/**
 * Current values of the registry's settings, read through to SQLite. Writes are all-or-nothing:
 * every key of a patch is validated before one row is written, inside one transaction.
 */
export class SettingsStore {
  readonly #listeners = new Set<SettingsListener>();
  readonly #cache = new Map<string, unknown>();
  readonly #db: WeftDb;
  readonly #overrides: Map<string, { value: unknown; from: string }>;
  readonly registry: SettingsRegistry;

  /** `overrides`: values forced for this run by a flag or env var, with where each came from. */
  constructor(
    db: WeftDb,
    registry: SettingsRegistry,
    overrides = new Map<string, { value: unknown; from: string }>(),
  ) {
    this.#db = db;
    this.registry = registry;
    this.#overrides = overrides;
    for (const row of db.select().from(settings).all()) {
      const def = registry.get(row.key);
      // Rows for settings no longer declared, or no longer valid, fall back to the default.
      if (!def) continue;
      const parsed = def.schema.safeParse(safeJson(row.valueJson));
      if (parsed.success) this.#cache.set(row.key, parsed.data);
    }
  }

  /** The effective value: an override, else the stored value, else the default. */
  get<S extends z.ZodType>(def: SettingDefinition<S>): z.output<S> {
    const forced = this.#overrides.get(def.key);
    if (forced) return forced.value as z.output<S>;
    return (this.#cache.has(def.key) ? this.#cache.get(def.key) : def.default) as z.output<S>;
  }

  /** What a user has chosen (stored or default), ignoring overrides; what `/api/settings` shows. */
  values(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const def of this.registry.all()) {
      const value = this.#cache.has(def.key) ? this.#cache.get(def.key) : def.default;
      out[def.key] = def.secret && isSet(value) ? SECRET_SHOWN : value;
    }
    return out;
  }

  /** `values` as they may be shown: a secret's value as `SECRET_SHOWN`, the rest unchanged. */
  shown(values: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(values)) {
      out[key] = this.registry.get(key)?.secret && isSet(value) ? SECRET_SHOWN : value;
    }
    return out;
  }

  /** Where an override of `key` came from, and its value, when this run overrides it. */
  override(key: string): { value: unknown; from: string } | undefined {
    return this.#overrides.get(key);
  }

  /** Validates every key, then writes all of them; throws `SettingValidationError` and writes nothing. */
  update(patch: Record<string, unknown>): Record<string, unknown> {
    const parsed = new Map<string, unknown>();
    for (const [key, value] of Object.entries(patch)) {
      // A secret's placeholder written back (a form saved whole) keeps the secret as it is.
      if (value === SECRET_SHOWN && this.registry.get(key)?.secret) continue;
      parsed.set(key, this.registry.parse(key, value));
    }
    const now = Date.now();
    this.#db.transaction((tx) => {
      for (const [key, value] of parsed) {
        const valueJson = JSON.stringify(value);
        tx.insert(settings)
          .values({ key, valueJson, updatedAt: now })
          .onConflictDoUpdate({ target: settings.key, set: { valueJson, updatedAt: now } })
          .run();
      }
    });
    for (const [key, value] of parsed) this.#cache.set(key, value);
    const changed = Object.fromEntries(parsed);
    if (parsed.size > 0) for (const listener of this.#listeners) listener(changed);
    return changed;
  }

  /**
   * Forgets a stored value so the default applies again (and keeps applying if a later version
   * changes the default). Throws `SettingValidationError` for an unknown key.
   */
  reset(key: string): Record<string, unknown> {
    const def = this.registry.get(key);
    if (!def) throw new SettingValidationError(key, `unknown setting ${key}`);
    this.#db.delete(settings).where(eq(settings.key, key)).run();
    this.#cache.delete(key);
    const changed = { [key]: def.default };
    for (const listener of this.#listeners) listener(changed);
    return changed;
  }

  onChange(listener: SettingsListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Whether a secret holds something to hide: a non-empty string. */
function isSet(value: unknown): boolean {
  return typeof value === "string" && value !== "";
}
