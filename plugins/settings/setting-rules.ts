/**
 * How the Settings pane reads a setting's JSON Schema: which control to show, how to label and
 * group it, and the inline checks that mirror the server's (type, enum, range, length, pattern).
 * The server stays the judge: a refinement JSON Schema cannot express still comes back as a 400.
 */

export type JsonSchema = Record<string, unknown>;
export type ControlKind = "toggle" | "select" | "integer" | "number" | "text";
export type ParsedInput = { ok: true; value: unknown } | { ok: false; error: string };

const ACRONYMS: Record<string, string> = {
  json: "JSON",
  url: "URL",
  id: "ID",
  ip: "IP",
  ws: "WS",
  http: "HTTP",
};

export function controlKind(schema: JsonSchema): ControlKind {
  if (Array.isArray(schema.enum)) return "select";
  if (schema.type === "boolean") return "toggle";
  if (schema.type === "integer") return "integer";
  if (schema.type === "number") return "number";
  return "text";
}

/** The enum's options, as strings for a select. */
export function options(schema: JsonSchema): string[] {
  return Array.isArray(schema.enum) ? schema.enum.map(String) : [];
}

/** "network.maxJsonDepth" → "Max JSON depth". */
export function labelFromKey(key: string): string {
  const last = key.split(".").at(-1) ?? key;
  const words = last
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(" ")
    .map((w) => ACRONYMS[w] ?? w);
  const sentence = words.join(" ");
  return sentence.charAt(0).toUpperCase() + sentence.slice(1);
}

/** Settings grouped by the first segment of their key, groups in order of first appearance. */
export function groupByPrefix<T extends { key: string }>(
  items: readonly T[],
): Array<{ name: string; items: T[] }> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const dot = item.key.indexOf(".");
    const name = dot > 0 ? item.key.slice(0, dot) : "general";
    const list = groups.get(name) ?? [];
    list.push(item);
    groups.set(name, list);
  }
  return [...groups].map(([name, list]) => ({
    name: name.charAt(0).toUpperCase() + name.slice(1),
    items: list,
  }));
}

/** What an input shows for a value. */
export function draftOf(value: unknown): string {
  return value === undefined || value === null ? "" : String(value);
}

/** Turns typed text into the value to save, or says why it cannot be one. */
export function parseInput(kind: ControlKind, text: string): ParsedInput {
  if (kind !== "integer" && kind !== "number") return { ok: true, value: text };
  const trimmed = text.trim();
  const value = Number(trimmed);
  if (trimmed === "" || !Number.isFinite(value)) return { ok: false, error: "Enter a number" };
  if (kind === "integer" && !Number.isInteger(value)) return { ok: false, error: "Enter a whole number" };
  return { ok: true, value };
}

/** The first rule of the schema the value breaks, as a sentence; null when it passes. */
export function checkValue(schema: JsonSchema, value: unknown): string | null {
  if (Array.isArray(schema.enum)) {
    return schema.enum.includes(value) ? null : `Must be one of: ${schema.enum.map(String).join(", ")}`;
  }
  switch (schema.type) {
    case "boolean":
      return typeof value === "boolean" ? null : "Must be on or off";
    case "integer":
    case "number":
      return typeof value === "number" ? checkNumber(schema, value) : "Must be a number";
    case "string":
      return typeof value === "string" ? checkString(schema, value) : "Must be text";
    default:
      return null;
  }
}

function checkNumber(schema: JsonSchema, value: number): string | null {
  if (schema.type === "integer" && !Number.isInteger(value)) return "Must be a whole number";
  const { minimum, maximum, exclusiveMinimum, exclusiveMaximum } = schema;
  if (typeof minimum === "number" && value < minimum) return `Must be at least ${format(minimum)}`;
  if (typeof maximum === "number" && value > maximum) return `Must be at most ${format(maximum)}`;
  if (typeof exclusiveMinimum === "number" && value <= exclusiveMinimum) {
    return `Must be more than ${format(exclusiveMinimum)}`;
  }
  if (typeof exclusiveMaximum === "number" && value >= exclusiveMaximum) {
    return `Must be less than ${format(exclusiveMaximum)}`;
  }
  return null;
}

function checkString(schema: JsonSchema, value: string): string | null {
  // Lengths count UTF-16 units, as the server's zod schema does.
  if (typeof schema.maxLength === "number" && value.length > schema.maxLength) {
    return `At most ${format(schema.maxLength)} characters (now ${format(value.length)})`;
  }
  if (typeof schema.minLength === "number" && value.length < schema.minLength) {
    return `At least ${format(schema.minLength)} characters`;
  }
  if (typeof schema.pattern === "string" && !safeRegExp(schema.pattern)?.test(value)) {
    return "Not in the expected format";
  }
  return null;
}

/** A short hint of the allowed range or length, shown under a field while it has no error. */
export function hintOf(schema: JsonSchema): string | null {
  const { minimum, maximum, maxLength } = schema;
  if (typeof minimum === "number" && typeof maximum === "number")
    return `${format(minimum)} – ${format(maximum)}`;
  if (typeof minimum === "number") return `At least ${format(minimum)}`;
  if (typeof maximum === "number") return `At most ${format(maximum)}`;
  if (typeof maxLength === "number") return `Up to ${format(maxLength)} characters`;
  return null;
}

/** Values compared as JSON, which is how they travel and are stored. */
export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The server prefixes its message with the key; under the field the key goes without saying. */
export function fieldMessage(key: string, message: string): string {
  const rest = message.startsWith(`${key}: `) ? message.slice(key.length + 2) : message;
  return rest.charAt(0).toUpperCase() + rest.slice(1);
}

function format(n: number): string {
  return n.toLocaleString("en-US");
}

function safeRegExp(pattern: string): RegExp | undefined {
  try {
    return new RegExp(pattern, "u");
  } catch {
    return undefined;
  }
}
