import { StartupError } from "../server/errors.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * Every limit the lobby enforces (docs/architecture.md, "The lobby"). The lobby is open to the
 * network by design, so nothing a socket sends may grow memory, CPU or fan-out without one of
 * these; each is overridable (`--limit NAME=VALUE`, `WEFT_LOBBY_LIMITS="a=1,b=2"`) so tests and
 * benches can shrink or raise them.
 */
export interface LobbyLimits {
  /** WebSockets one source address may hold; more are refused with 503 before the upgrade. */
  socketsPerIp: number;
  /** WebSockets in all, registered or not; more are refused with 503 before the upgrade. */
  maxSockets: number;
  /** Registered nodes one instance holds; a registration past it gets `error limit`. */
  maxNodes: number;
  /**
   * Registrations of one node in a minute, counted on every instance of the lobby together: a
   * node has one socket in the whole lobby, whose buckets hold it, and this is how often it may
   * get a fresh one (a reconnect, or a move to another instance). Past it: `error limit`, 1013.
   */
  registrationsPerMinute: number;
  /**
   * Bytes the directory's listing may take. `registered` carries all of it, so it must stay well
   * under `sendBufferBytes`; a node that would pass it is registered but not listed, and told.
   */
  directoryBytes: number;
  /**
   * How long directory deltas are gathered before they go out together, in one frame to every
   * socket: a wave of registrations then costs a publish per interval instead of one per node.
   */
  directoryFlushMs: number;
  /** Rooms one host may hold at once, those in their grace included. */
  roomsPerHost: number;
  /** Public rooms one `rooms` answer lists (newest first), so a listing stays one bounded frame. */
  roomsListed: number;
  /** How long a socket may stay unregistered after the challenge. */
  registerTimeoutMs: number;
  /** How often the lobby pings a registered socket. */
  heartbeatMs: number;
  /** A socket that sends nothing (not even a pong) this long is closed. */
  silenceMs: number;
  /** How long a disconnected host's rooms wait for it to come back before they close. */
  hostGraceMs: number;
  /**
   * A socket whose unsent bytes pass this is closed, never buffered further. Relayed frames may
   * fill only half of it: past that they are not forwarded and their relayed link is ended, so a
   * sender faster than its receiver costs the two of them that link, not the receiver its socket.
   */
  sendBufferBytes: number;
  /** Largest text frame, in bytes: a relayed 1 MiB peer frame and its JSON around it. */
  textFrameBytes: number;
  /** JSON nesting a text frame may have. */
  jsonDepth: number;
  /** Largest relayed peer frame, in bytes. */
  relayFrameBytes: number;
  /** Relay byte budget per node: the rate, in bytes a second... */
  relayBytesPerSec: number;
  /** ...and the burst it may spend at once. */
  relayBytesBurst: number;
  /** Relay frame budget per node, frames a second (`relay`, `relay_open`, `relay_end`, binary). */
  relayFramesPerSec: number;
  relayFramesBurst: number;
  /** Relayed frames over budget that, dropped within `relayDropWindowMs`, disconnect the node. */
  relayDropsToClose: number;
  relayDropWindowMs: number;
  /** Every control message type (rooms, update, ping, …) has its own bucket of this rate and burst. */
  controlPerSec: number;
  controlBurst: number;
  /** `signal` has its own, larger bucket: WebRTC trickles candidates. */
  signalPerSec: number;
  signalBurst: number;
  /** STUN binding requests answered per second for one source address (burst twice that). */
  stunPerSourcePerSec: number;
  /** STUN binding requests answered per second in all; past it they are dropped. */
  stunPerSec: number;
  /**
   * Largest `signal` frame, in bytes. Offers, answers and candidates are a few KiB; without this
   * a node could push a megabyte per signal at another past every relay budget.
   */
  signalFrameBytes: number;
  /** Refused frames (bad or over a rate) that, within `badFrameWindowMs`, close the socket. */
  badFramesToClose: number;
  badFrameWindowMs: number;
  /**
   * With `--redis-url`: how long what an instance holds (its nodes, rooms, places in rooms)
   * outlives its last refresh in Redis, so a killed instance's nodes leave every other instance's
   * directory, and Redis, within it. Refreshed every quarter of it. At least 1 s.
   */
  presenceTtlMs: number;
}

export const DEFAULT_LOBBY_LIMITS: Readonly<LobbyLimits> = Object.freeze({
  socketsPerIp: 64,
  maxSockets: 25_000,
  maxNodes: 20_000,
  registrationsPerMinute: 30,
  directoryBytes: 6 * MiB,
  directoryFlushMs: 100,
  roomsPerHost: 16,
  roomsListed: 500,
  registerTimeoutMs: 10_000,
  heartbeatMs: 25_000,
  silenceMs: 60_000,
  hostGraceMs: 30_000,
  sendBufferBytes: 8 * MiB,
  textFrameBytes: MiB + 4 * KiB,
  jsonDepth: 32,
  relayFrameBytes: MiB,
  relayBytesPerSec: MiB,
  relayBytesBurst: 8 * MiB,
  relayFramesPerSec: 2_000,
  relayFramesBurst: 4_000,
  relayDropsToClose: 1_000,
  relayDropWindowMs: 10_000,
  controlPerSec: 20,
  controlBurst: 100,
  signalPerSec: 200,
  signalBurst: 400,
  stunPerSourcePerSec: 10,
  stunPerSec: 5_000,
  signalFrameBytes: 64 * KiB,
  badFramesToClose: 50,
  badFrameWindowMs: 10_000,
  presenceTtlMs: 30_000,
});

export type LobbyLimitName = keyof LobbyLimits;

/** Limits that may be 0 (a count of nothing allowed still makes sense); the rest must be ≥ 1. */
const MAY_BE_ZERO = new Set<LobbyLimitName>(["roomsPerHost", "roomsListed"]);

export function isLimitName(name: string): name is LobbyLimitName {
  return Object.hasOwn(DEFAULT_LOBBY_LIMITS, name);
}

/** The defaults with `overrides` applied; throws `StartupError` for a value out of range. */
export function resolveLimits(overrides: Partial<LobbyLimits> = {}): LobbyLimits {
  const limits = { ...DEFAULT_LOBBY_LIMITS };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    if (!isLimitName(name)) throw new StartupError(`unknown lobby limit "${name}"`);
    checkValue(name, value, `limit ${name}`);
    limits[name] = value;
  }
  return limits;
}

/**
 * Reads `NAME=VALUE` pairs (from repeated `--limit` flags, or `WEFT_LOBBY_LIMITS` split on commas).
 * Throws `StartupError` naming `from` and the bad pair: an unknown name or a value that is not a
 * whole number in range.
 */
export function parseLimitPairs(pairs: readonly string[], from: string): Partial<LobbyLimits> {
  const out: Partial<LobbyLimits> = {};
  for (const raw of pairs) {
    const pair = raw.trim();
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new StartupError(`${from} takes NAME=VALUE, got "${pair}"`);
    const name = pair.slice(0, eq).trim();
    const text = pair
      .slice(eq + 1)
      .trim()
      .replaceAll("_", "");
    if (!isLimitName(name)) {
      throw new StartupError(`${from}: unknown lobby limit "${name}" (see weft --help for the names)`);
    }
    if (!/^\d{1,15}$/.test(text)) {
      throw new StartupError(`${from}: ${name} must be a whole number, got "${pair.slice(eq + 1)}"`);
    }
    const value = Number(text);
    checkValue(name, value, `${from}: ${name}`);
    out[name] = value;
  }
  return out;
}

/** Limits with a floor of their own: a lease shorter than a second would lapse between refreshes. */
const MINIMUM: Partial<Record<LobbyLimitName, number>> = { presenceTtlMs: 1_000 };

function checkValue(name: LobbyLimitName, value: number, what: string): void {
  const min = MINIMUM[name] ?? (MAY_BE_ZERO.has(name) ? 0 : 1);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new StartupError(`${what} must be a whole number of at least ${min}, got ${value}`);
  }
  // Bun keeps socket sizes in 32 bits; anything larger would wrap there.
  if (
    (name === "sendBufferBytes" || name === "textFrameBytes" || name === "relayFrameBytes") &&
    value > 2 ** 31
  ) {
    throw new StartupError(`${what} must be at most ${2 ** 31}, got ${value}`);
  }
}

/** The names, for `--help`. */
export const LIMIT_NAMES: readonly LobbyLimitName[] = Object.keys(DEFAULT_LOBBY_LIMITS) as LobbyLimitName[];
