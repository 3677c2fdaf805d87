import { accessSync, constants, mkdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { LobbyOptions } from "../server/cli/args.ts";
import { defaultDataDir } from "../server/data-dir.ts";
import { StartupError } from "../server/errors.ts";
import { loadOrCreateIdentity, type NodeIdentity } from "../server/identity/identity.ts";
import { createLogger } from "../server/log.ts";
import { WEFT_VERSION } from "../server/version.ts";
import { RedisBackplane, redisTarget } from "./backplane/redis-backplane.ts";
import { resolveLimits } from "./limits.ts";
import { type RunningLobby, startLobby } from "./lobby-server.ts";

/** How long a signal may take to stop the lobby before the process exits regardless. */
const SHUTDOWN_DEADLINE_MS = 1_800;

/**
 * `weft --lobby`: runs a lobby until SIGINT or SIGTERM and returns the exit code (0 after a clean
 * stop; 2 with one line on stderr for anything the operator can fix, such as a port in use or a
 * Redis it cannot reach). With `--redis-url` it is one instance of a lobby whose others share that
 * Redis; without, a lobby of one with everything in memory.
 */
export async function runLobby(
  options: LobbyOptions,
  env: Record<string, string | undefined>,
): Promise<number> {
  const log = createLogger(options.logLevel);
  const signal = new Promise<string>((done) => {
    process.once("SIGINT", () => done("SIGINT"));
    process.once("SIGTERM", () => done("SIGTERM"));
  });
  let lobby: RunningLobby;
  try {
    // A node and a lobby on one machine must not share an identity: the lobby's lives beside it.
    // Instances of one lobby are given copies of one data dir: one identity, one lobby id.
    const identity = await lobbyIdentity(options.dataDir ?? join(defaultDataDir(env), "lobby"));
    const backplane =
      options.redisUrl === undefined
        ? undefined
        : new RedisBackplane({
            url: options.redisUrl,
            log,
            presenceTtlMs: resolveLimits(options.limits).presenceTtlMs,
          });
    lobby = await startLobby({
      port: options.port,
      host: options.host,
      identity,
      log,
      limits: options.limits,
      ...(options.stunPort === undefined ? {} : { stunPort: options.stunPort }),
      ...(backplane ? { backplane } : {}),
    });
    if (options.redisUrl !== undefined) {
      log.info("sharing the lobby through Redis", {
        redis: redisTarget(options.redisUrl),
        instance: lobby.health().instance,
      });
    }
  } catch (err) {
    if (!(err instanceof StartupError)) throw err;
    process.stderr.write(`weft: ${err.message}\n`);
    return 2;
  }
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  process.stdout.write(
    `weft lobby ${WEFT_VERSION} listening on ws://${host}:${lobby.port}/lobby-ws (lobby ${lobby.lobbyId})\n`,
  );
  if (lobby.stunPort !== undefined) log.info("answering STUN", { udp_port: lobby.stunPort });
  log.info(`${await signal}: stopping`);
  const deadline = setTimeout(() => {
    log.warn("shutdown took too long; exiting");
    process.exit(0);
  }, SHUTDOWN_DEADLINE_MS);
  await lobby.stop("shutdown");
  clearTimeout(deadline);
  return 0;
}

/** Opens (making it if needed) the lobby's data dir and its `identity.key`. */
async function lobbyIdentity(dir: string): Promise<NodeIdentity> {
  const root = resolve(dir);
  try {
    mkdirSync(root, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new StartupError(`cannot create data dir ${root}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  if (!statSync(root).isDirectory()) throw new StartupError(`data dir ${root} is not a directory`);
  try {
    accessSync(root, constants.R_OK | constants.W_OK);
  } catch {
    throw new StartupError(`data dir ${root} is not writable`);
  }
  return loadOrCreateIdentity(join(root, "identity.key"));
}
