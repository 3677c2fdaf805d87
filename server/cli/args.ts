import { parseArgs } from "node:util";
import { type LobbyLimits, parseLimitPairs } from "../../lobby/limits.ts";
import { StartupError } from "../errors.ts";
import { LOG_LEVELS, type LogLevel } from "../log.ts";

export { LOG_LEVELS, type LogLevel };

export const DEFAULT_NODE_PORT = 7420;
export const DEFAULT_LOBBY_PORT = 7400;

/** What the command line asked for, after flags and their `WEFT_*` twins are merged and checked. */
export type CliCommand =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "node"; options: NodeOptions }
  | { kind: "lobby"; options: LobbyOptions }
  | { kind: "mcp"; options: McpBridgeOptions };

export interface NodeOptions {
  port: number;
  /** Whether `port` was asked for; only the default falls through to the next free port. */
  portExplicit: boolean;
  host: string;
  dataDir: string | undefined;
  name: string | undefined;
  open: boolean;
  logLevel: LogLevel;
}

export interface LobbyOptions {
  port: number;
  host: string;
  dataDir: string | undefined;
  redisUrl: string | undefined;
  /** `--stun-port`: a UDP port, `null` for `off`, undefined for the same number as `port`. */
  stunPort: number | null | undefined;
  logLevel: LogLevel;
  /** `--limit NAME=VALUE` overrides (over `WEFT_LOBBY_LIMITS`), checked against lobby/limits.ts. */
  limits: Partial<LobbyLimits>;
}

/** `weft mcp`: the stdio bridge to the node running on a data dir. */
export interface McpBridgeOptions {
  dataDir: string | undefined;
}

/** Each flag, its `WEFT_*` twin and its help line; the single source for parsing and `--help`. */
export const FLAGS = {
  port: { type: "string", env: "WEFT_PORT", arg: "N", help: "port to listen on (node 7420, lobby 7400)" },
  host: { type: "string", env: "WEFT_HOST", arg: "ADDR", help: "address to bind (default: all interfaces)" },
  "data-dir": {
    type: "string",
    env: "WEFT_DATA_DIR",
    arg: "DIR",
    help: "where identity, database and plugins live",
  },
  name: {
    type: "string",
    env: "WEFT_NAME",
    arg: "NAME",
    help: "node name shown to peers (default: host name)",
  },
  "no-open": { type: "boolean", env: "WEFT_NO_OPEN", help: "do not open a browser on start" },
  "log-level": {
    type: "string",
    env: "WEFT_LOG_LEVEL",
    arg: "L",
    help: "error | warn | info | debug (default info)",
  },
  lobby: { type: "boolean", env: "WEFT_LOBBY", help: "run as a lobby server instead of a node" },
  "redis-url": {
    type: "string",
    env: "WEFT_REDIS_URL",
    arg: "URL",
    help: "lobby only: share lobby state through Redis",
  },
  "stun-port": {
    type: "string",
    env: "WEFT_STUN_PORT",
    arg: "N|off",
    help: "lobby only: UDP port answering STUN (default: the --port number)",
  },
  limit: {
    type: "string",
    multiple: true,
    env: "WEFT_LOBBY_LIMITS",
    arg: "NAME=VALUE",
    help: "lobby only, repeatable: override a limit (names below)",
  },
  help: { type: "boolean", env: undefined, help: "show this help and exit" },
  version: { type: "boolean", env: undefined, help: "print the version and exit" },
} as const satisfies Record<
  string,
  { type: "string" | "boolean"; multiple?: boolean; env: string | undefined; arg?: string; help: string }
>;

type FlagName = keyof typeof FLAGS;
const NODE_ONLY: FlagName[] = ["name", "no-open"];
const LOBBY_ONLY: FlagName[] = ["redis-url", "stun-port", "limit"];

/**
 * Turns argv and the environment into a command. Throws `StartupError` with a one-line reason for
 * anything unusable; never returns a half-valid command.
 */
export function parseCli(
  argv: string[],
  env: Record<string, string | undefined>,
  interactive: boolean,
): CliCommand {
  if (argv[0] === "mcp") return parseMcpCommand(argv.slice(1), env);
  let values: Record<string, string | boolean | Array<string | boolean> | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: Object.fromEntries(
        Object.entries(FLAGS).map(([k, f]) => [k, { type: f.type, multiple: "multiple" in f && f.multiple }]),
      ),
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new StartupError(`${cleanParseError(err)} (see weft --help)`);
  }
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };

  type Given = { value: string | boolean | Array<string | boolean>; from: string };
  const given = (flag: FlagName): Given | undefined => {
    const fromFlag = values[flag];
    if (fromFlag !== undefined) return { value: fromFlag, from: `--${flag}` };
    const envName = FLAGS[flag].env;
    const fromEnv = envName ? env[envName] : undefined;
    if (envName && fromEnv !== undefined && fromEnv !== "") {
      return {
        value: FLAGS[flag].type === "boolean" ? envBoolean(envName, fromEnv) : fromEnv,
        from: envName,
      };
    }
    return undefined;
  };

  const lobby = given("lobby")?.value === true;
  for (const flag of lobby ? NODE_ONLY : LOBBY_ONLY) {
    const g = given(flag);
    if (g) throw new StartupError(`${g.from} is only for ${lobby ? "a node" : "--lobby"} (see weft --help)`);
  }

  const port = given("port");
  const logLevel = given("log-level");
  const common = {
    port: port ? parsePort(String(port.value), port.from) : lobby ? DEFAULT_LOBBY_PORT : DEFAULT_NODE_PORT,
    // "::" is dual-stack: IPv4 peers arrive as ::ffff:a.b.c.d.
    host: nonEmpty(given("host"), "::"),
    dataDir: optionalString(given("data-dir")),
    logLevel: logLevel ? parseLogLevel(String(logLevel.value), logLevel.from) : ("info" as LogLevel),
  };

  if (lobby) {
    const redis = given("redis-url");
    if (redis) parseRedisUrl(String(redis.value), redis.from);
    const stun = given("stun-port");
    const stunPort = stun === undefined ? undefined : parseStunPort(String(stun.value), stun.from);
    const limitsEnv = env.WEFT_LOBBY_LIMITS;
    const fromFlags = values.limit;
    const limits = {
      ...(limitsEnv ? parseLimitPairs(limitsEnv.split(","), "WEFT_LOBBY_LIMITS") : {}),
      ...(Array.isArray(fromFlags) ? parseLimitPairs(fromFlags.map(String), "--limit") : {}),
    };
    return {
      kind: "lobby",
      options: { ...common, redisUrl: redis ? String(redis.value) : undefined, stunPort, limits },
    };
  }
  const name = optionalString(given("name"));
  if (name !== undefined && (name.trim() === "" || name.length > 64)) {
    throw new StartupError("--name must be 1 to 64 characters");
  }
  return {
    kind: "node",
    options: {
      ...common,
      portExplicit: port !== undefined,
      name: name?.trim(),
      open: given("no-open")?.value !== true && interactive,
    },
  };
}

/**
 * `weft mcp [--data-dir DIR]`: the one subcommand. It takes the data dir alone, since the bridge
 * starts nothing of its own and reaches the node that runs there.
 */
function parseMcpCommand(argv: string[], env: Record<string, string | undefined>): CliCommand {
  let values: { "data-dir"?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { "data-dir": { type: "string" }, help: { type: "boolean" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new StartupError(`weft mcp: ${cleanParseError(err)} (it takes --data-dir DIR only)`);
  }
  if (values.help) return { kind: "help" };
  const fromEnv = env.WEFT_DATA_DIR;
  const dataDir = values["data-dir"] ?? (fromEnv !== undefined && fromEnv !== "" ? fromEnv : undefined);
  if (dataDir !== undefined && dataDir.trim() === "") throw new StartupError("--data-dir must not be empty");
  return { kind: "mcp", options: { dataDir } };
}

function cleanParseError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  // node:util phrases these as sentences with hints for programmatic callers; keep the first one.
  return message.split(". ")[0]!.replace(/\.$/, "");
}

function envBoolean(name: string, raw: string): boolean {
  const v = raw.toLowerCase();
  if (["1", "true", "yes", "on"].includes(v)) return true;
  if (["0", "false", "no", "off"].includes(v)) return false;
  throw new StartupError(`${name} must be true or false, got "${raw}"`);
}

function parsePort(raw: string, from: string): number {
  if (!/^\d{1,5}$/.test(raw) || Number(raw) > 65535) {
    throw new StartupError(`${from} must be a port number from 0 to 65535, got "${raw}"`);
  }
  return Number(raw);
}

/** A STUN port is a real one (the lobby's own `--port 0` picks any; STUN follows it when unset). */
function parseStunPort(raw: string, from: string): number | null {
  if (raw === "off") return null;
  if (!/^\d{1,5}$/.test(raw) || Number(raw) < 1 || Number(raw) > 65535) {
    throw new StartupError(`${from} must be a port number from 1 to 65535, or off, got "${raw}"`);
  }
  return Number(raw);
}

function parseLogLevel(raw: string, from: string): LogLevel {
  const level = LOG_LEVELS.find((l) => l === raw);
  if (!level) throw new StartupError(`${from} must be one of ${LOG_LEVELS.join(", ")}, got "${raw}"`);
  return level;
}

function parseRedisUrl(raw: string, from: string): void {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new StartupError(`${from} must be a redis:// or rediss:// URL, got "${withoutCredentials(raw)}"`);
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw new StartupError(`${from} must be a redis:// or rediss:// URL, got "${withoutCredentials(raw)}"`);
  }
}

/** A URL as an error may show it: a password in it (anything before an `@`) is left out. */
function withoutCredentials(raw: string): string {
  const at = raw.lastIndexOf("@");
  if (at < 0) return raw;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(raw)?.[0] ?? "";
  return `${scheme}…@${raw.slice(at + 1)}`;
}

function optionalString(g: { value: unknown } | undefined): string | undefined {
  return g === undefined ? undefined : String(g.value);
}

function nonEmpty(g: { value: unknown; from: string } | undefined, fallback: string): string {
  if (g === undefined) return fallback;
  const v = String(g.value).trim();
  if (v === "") throw new StartupError(`${g.from} must not be empty`);
  return v;
}
