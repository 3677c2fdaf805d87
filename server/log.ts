/** How much the node logs, least first (`--log-level`). */
export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/** A leveled logger writing one line per event to stderr; the only place the node prints logs. */
export interface Logger {
  error(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
}

export function createLogger(
  level: LogLevel,
  write: (line: string) => void = (l) => process.stderr.write(l),
): Logger {
  const at =
    (lvl: LogLevel) =>
    (message: string, fields?: Record<string, unknown>): void => {
      if (RANK[lvl] > RANK[level]) return;
      const extra = fields ? ` ${JSON.stringify(fields)}` : "";
      write(`${new Date().toISOString()} ${lvl.padEnd(5)} ${message}${extra}\n`);
    };
  return { error: at("error"), warn: at("warn"), info: at("info"), debug: at("debug") };
}

/** For tests and embedders that want silence. */
export const silentLogger: Logger = { error() {}, warn() {}, info() {}, debug() {} };
