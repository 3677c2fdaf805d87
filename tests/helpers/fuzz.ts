import { seededRandom } from "./seeded-random.ts";

/**
 * One fuzz suite's run: a seeded source of randomness, a budget in cases and in time, and the
 * counts it reports. `WEFT_FUZZ_SEED` replays a run; `WEFT_FUZZ_CASES` raises the count for a long
 * run (and then lifts the time budget unless `WEFT_FUZZ_SECONDS` sets one).
 */
export interface FuzzRun {
  readonly suite: string;
  readonly seed: number;
  readonly cases: number;
  /** A number in [0, 1). */
  random(): number;
  /** A whole number in [0, n). */
  int(n: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** True while the budget allows another case; counts it as sent. */
  next(): boolean;
  readonly counts: { sent: number; rejected: number; errors: number };
  /** What went wrong, with the input that did it; a suite asserts it stays empty. */
  readonly failures: string[];
  fail(what: string): void;
  /**
   * The same run for a concurrent worker: its own random stream (so what each worker sends
   * replays exactly from the seed), sharing the budget, counts and failures.
   */
  fork(worker: number): FuzzRun;
  /** Prints the counts on one line, with the seed to replay them. */
  report(extra?: Record<string, number>): void;
}

const envInt = (name: string): number | undefined => {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, not ${raw}`);
  return n;
};

/** The time budget in seconds, 0 for none: `WEFT_FUZZ_SECONDS`, else none once a count is asked for. */
function budgetSeconds(defaultSeconds: number): number {
  return envInt("WEFT_FUZZ_SECONDS") ?? (envInt("WEFT_FUZZ_CASES") === undefined ? defaultSeconds : 0);
}

/** A test timeout that leaves a suite its whole budget, and set-up and checks after it. */
export function fuzzTimeoutMs(defaultSeconds = 15): number {
  const seconds = budgetSeconds(defaultSeconds);
  return seconds > 0 ? (seconds + 90) * 1000 : 24 * 3600 * 1000;
}

/** Starts a run of `suite` with `defaultCases` cases in at most `defaultSeconds` of fuzzing. */
export function fuzzRun(suite: string, defaultCases: number, defaultSeconds = 15): FuzzRun {
  const seed = envInt("WEFT_FUZZ_SEED") ?? Math.floor(Math.random() * 2 ** 31);
  const cases = envInt("WEFT_FUZZ_CASES") ?? defaultCases;
  const seconds = budgetSeconds(defaultSeconds);
  const deadline = seconds > 0 ? Date.now() + seconds * 1000 : Number.POSITIVE_INFINITY;
  console.log(`fuzz ${suite}: seed ${seed} (replay with WEFT_FUZZ_SEED=${seed}), up to ${cases} cases`);
  const shared = { counts: { sent: 0, rejected: 0, errors: 0 }, failures: [] as string[] };
  return makeRun(suite, seed, cases, deadline, seededRandom(seed), shared);
}

function makeRun(
  suite: string,
  seed: number,
  cases: number,
  deadline: number,
  random: () => number,
  shared: { counts: FuzzRun["counts"]; failures: string[] },
): FuzzRun {
  const { counts, failures } = shared;
  const int = (n: number) => Math.floor(random() * n);
  return {
    suite,
    seed,
    cases,
    random,
    int,
    chance: (p) => random() < p,
    pick: <T>(items: readonly T[]) => items[int(items.length)] as T,
    next() {
      if (counts.sent >= cases || Date.now() > deadline) return false;
      counts.sent += 1;
      return true;
    },
    counts,
    failures,
    fail(what) {
      counts.errors += 1;
      if (failures.length < 20) failures.push(`case ${counts.sent}: ${what}`);
    },
    fork: (worker) => makeRun(suite, seed, cases, deadline, seededRandom(seed + 7919 * (worker + 1)), shared),
    report(extra = {}) {
      const parts = Object.entries({ ...counts, ...extra }).map(([k, v]) => `${k} ${v}`);
      console.log(`fuzz ${suite}: ${parts.join(", ")} (seed ${seed})`);
    },
  };
}

const ALPHABETS = [
  "abcdefghijklmnopqrstuvwxyz0123456789",
  "abcdef0123456789",
  "abcdefghijklmnopqrstuvwxyz234567",
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=",
  ":@/.-_%?#&=\\\"'<>{}[]() \t\n",
  "\u0000\u0001\u001f\u007f\u00ff\u200b\u202e\ufeff\ud800\udfff😀é中",
];

/** Strings an attacker tries first: edge lengths, names of prototypes, paths, markup, numbers. */
const NASTY = [
  "",
  " ",
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "../../../../etc/passwd",
  "..%2f..%2fetc%2fpasswd",
  "%00",
  "%",
  "<script>alert(1)</script>",
  "null",
  "true",
  "-1",
  "0",
  "1e309",
  "NaN",
  "9007199254740993",
  "\u0000",
  "\ud800",
  "weft1.",
  "scratch:main",
  "scratch:main@aaaaaaaaaaaaaaaa",
  "ws://127.0.0.1:1/peer-ws",
];

/** A random string, short most of the time, sometimes nasty, now and then long. */
export function randomString(run: FuzzRun, maxLength = 64): string {
  if (run.chance(0.2)) return run.pick(NASTY);
  const alphabet = run.pick(ALPHABETS);
  const length = run.chance(0.05) ? run.int(maxLength * 64) : run.int(maxLength);
  let s = "";
  for (let i = 0; i < length; i++) s += alphabet[run.int(alphabet.length)];
  return s;
}

const NUMBERS = [0, -0, 1, -1, 0.5, 2 ** 31, 2 ** 53, -(2 ** 53), 2 ** 64, 1e308, -1e308, 5e-324, 60, 86400];

/** Any JSON value, nested at most `depth` deep. */
export function randomJson(run: FuzzRun, depth = 3): unknown {
  switch (run.int(depth > 0 ? 8 : 5)) {
    case 0:
      return null;
    case 1:
      return run.chance(0.5);
    case 2:
      return run.chance(0.5) ? run.pick(NUMBERS) : (run.random() - 0.5) * 10 ** run.int(20);
    case 3:
    case 4:
      return randomString(run);
    case 5:
    case 6: {
      const o: Record<string, unknown> = {};
      for (let i = run.int(5); i > 0; i--) setKey(o, randomString(run, 12), randomJson(run, depth - 1));
      return o;
    }
    default:
      return Array.from({ length: run.int(5) }, () => randomJson(run, depth - 1));
  }
}

/** `[[[…]]]` or `{"a":{"a":…}}`, `depth` levels deep, as JSON text. */
export function deepJson(run: FuzzRun, depth: number): string {
  return run.chance(0.5)
    ? "[".repeat(depth) + "]".repeat(depth)
    : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
}

/** A JSON value a little or a lot changed: a field replaced, dropped, added, retyped or blown up. */
export function mutateJson(run: FuzzRun, value: unknown, rounds = 1 + run.int(3)): unknown {
  // Through JSON text, so a literal "__proto__" key survives as a key.
  let v = JSON.parse(JSON.stringify(value)) as unknown;
  for (let i = 0; i < rounds; i++) v = mutateOnce(run, v);
  return v;
}

function mutateOnce(run: FuzzRun, value: unknown): unknown {
  if (value === null || typeof value !== "object" || run.chance(0.15)) return replaceValue(run, value);
  if (Array.isArray(value)) {
    if (value.length > 0 && run.chance(0.6)) {
      const i = run.int(value.length);
      value[i] = mutateOnce(run, value[i]);
    } else if (run.chance(0.5)) value.push(randomJson(run, 2));
    else if (value.length > 0) value.splice(run.int(value.length), 1);
    return value;
  }
  const o = value as Record<string, unknown>;
  const keys = Object.keys(o);
  const roll = run.random();
  if (keys.length > 0 && roll < 0.6) {
    const k = run.pick(keys);
    o[k] = mutateOnce(run, o[k]);
  } else if (keys.length > 0 && roll < 0.8) delete o[run.pick(keys)];
  else setKey(o, run.chance(0.3) ? "__proto__" : randomString(run, 12), randomJson(run, 2));
  return o;
}

/** Sets an own key, even `__proto__`, so it is sent like any other. */
function setKey(o: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

function replaceValue(run: FuzzRun, value: unknown): unknown {
  const roll = run.random();
  if (roll < 0.1) return "x".repeat(run.pick([1024, 65 * 1024, 300 * 1024]));
  if (roll < 0.2 && typeof value === "string") return value + randomString(run, 8);
  if (roll < 0.3 && typeof value === "string" && value.length > 0)
    return value.slice(0, run.int(value.length));
  if (roll < 0.4 && typeof value === "number")
    return run.pick([value + 1, value - 1, -value, value * 1e6, 0.5]);
  if (roll < 0.5) return JSON.parse(deepJson(run, 10 + run.int(300)));
  return randomJson(run, 2);
}

/** JSON text damaged as bytes: cut short, characters changed, inserted or dropped. */
export function mutateText(run: FuzzRun, text: string): string {
  let s = text;
  for (let i = 1 + run.int(3); i > 0; i--) {
    const at = run.int(s.length + 1);
    switch (run.int(5)) {
      case 0:
        s = s.slice(0, at);
        break;
      case 1:
        s =
          s.slice(0, at) +
          run.pick(['"', "{", "}", "[", "]", ",", ":", "\\", "\u0000", "\ud800"]) +
          s.slice(at);
        break;
      case 2:
        s = s.slice(0, at) + s.slice(at + 1 + run.int(8));
        break;
      case 3:
        s = s.slice(0, at) + randomString(run, 8) + s.slice(at);
        break;
      default:
        s = s + s.slice(at);
    }
  }
  return s;
}

/** Random bytes, or `bytes` damaged: bits flipped, cut short or grown. */
export function mutateBytes(run: FuzzRun, bytes?: Uint8Array): Uint8Array<ArrayBuffer> {
  if (!bytes || bytes.length === 0 || run.chance(0.2)) {
    return Uint8Array.from({ length: run.int(run.chance(0.1) ? 4096 : 64) }, () => run.int(256));
  }
  const out = new Uint8Array(bytes);
  switch (run.int(4)) {
    case 0:
      for (let i = 1 + run.int(4); i > 0; i--) out[run.int(out.length)]! ^= 1 << run.int(8);
      return out;
    case 1:
      return out.slice(0, run.int(out.length));
    case 2:
      out[run.int(out.length)] = run.pick([0, 0x7f, 0x80, 0xff]);
      return out;
    default:
      return new Uint8Array([...out, ...Array.from({ length: 1 + run.int(16) }, () => run.int(256))]);
  }
}
