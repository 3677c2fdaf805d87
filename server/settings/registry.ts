import { z } from "zod";

/** One setting: its key, how a value is checked, what it is when unset, and a line for the UI. */
export interface SettingDefinition<S extends z.ZodType = z.ZodType> {
  key: string;
  schema: S;
  default: z.output<S>;
  description: string;
  /**
   * A secret (a password): kept and honoured, but never shown back. `GET /api/settings` gives
   * `SECRET_SHOWN` in place of a value that is set, and writing that placeholder back keeps it.
   */
  secret?: boolean;
}

/** What a secret setting that has a value reads as, wherever settings are shown. */
export const SECRET_SHOWN = "(set)";

/** Declares a setting; the default is checked against the schema at once so a typo fails at start-up. */
export function defineSetting<S extends z.ZodType>(def: SettingDefinition<S>): SettingDefinition<S> {
  if (!/^[a-z][a-zA-Z0-9]*(\.[a-z][a-zA-Z0-9]*)+$/.test(def.key)) {
    throw new Error(`setting key ${def.key} must be dotted camelCase, like network.nodeName`);
  }
  const parsed = def.schema.safeParse(def.default);
  if (!parsed.success) throw new Error(`default of ${def.key} does not satisfy its schema`);
  return def;
}

/** Thrown for a value a setting's schema refuses; `key` names it for a `400 { error, field }`. */
export class SettingValidationError extends Error {
  override readonly name = "SettingValidationError";
  readonly key: string;
  constructor(key: string, message: string) {
    super(message);
    this.key = key;
  }
}

/**
 * Every declared setting of this node. Features declare their own keys when they are composed, so
 * no setting exists before the code that honours it.
 */
export class SettingsRegistry {
  readonly #defs = new Map<string, SettingDefinition>();

  declare(...defs: SettingDefinition[]): this {
    for (const def of defs) {
      if (this.#defs.has(def.key)) throw new Error(`setting ${def.key} is declared twice`);
      this.#defs.set(def.key, def);
    }
    return this;
  }

  get(key: string): SettingDefinition | undefined {
    return this.#defs.get(key);
  }

  all(): SettingDefinition[] {
    return [...this.#defs.values()].sort((a, b) => a.key.localeCompare(b.key));
  }

  /** Checks a value for a key; throws `SettingValidationError` naming the key. */
  parse(key: string, value: unknown): unknown {
    const def = this.#defs.get(key);
    if (!def) throw new SettingValidationError(key, `unknown setting ${key}`);
    const result = def.schema.safeParse(value);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new SettingValidationError(key, `${key}: ${issue?.message ?? "invalid value"}`);
    }
    return result.data;
  }

  /** JSON Schema of a setting, for clients that render and pre-check a form. */
  jsonSchema(key: string): Record<string, unknown> {
    const def = this.#defs.get(key);
    if (!def) throw new SettingValidationError(key, `unknown setting ${key}`);
    return z.toJSONSchema(def.schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  }
}
