import { runLobby } from "../lobby/main.ts";
import { type CliCommand, parseCli } from "./cli/args.ts";
import { helpText, versionText } from "./cli/help.ts";
import { defaultDataDir } from "./data-dir.ts";
import { StartupError } from "./errors.ts";
import { createLogger } from "./log.ts";
import { runMcpBridge } from "./mcp/mcp-bridge.ts";
import { startNode } from "./node.ts";
import { openBrowser } from "./open-browser.ts";
import { platformTarget, WEFT_TARGET, WEFT_VERSION } from "./version.ts";

/** How long a signal may take to stop the node before the process exits regardless. */
const SHUTDOWN_DEADLINE_MS = 1_800;

/** The `weft` command: returns only for `--help`/`--version` and errors; a node runs until a signal. */
export async function main(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  let command: CliCommand;
  try {
    command = parseCli(argv, env, Boolean(process.stdout.isTTY) && env.CI !== "true");
  } catch (err) {
    return fail(err);
  }
  switch (command.kind) {
    case "help":
      process.stdout.write(helpText(WEFT_VERSION));
      return 0;
    case "version":
      process.stdout.write(versionText(WEFT_VERSION, WEFT_TARGET, platformTarget()));
      return 0;
    case "lobby":
      try {
        return await runLobby(command.options, env);
      } catch (err) {
        return fail(err);
      }
    case "mcp":
      // stdout is the MCP stream from here on: nothing else may be written to it.
      try {
        return await runMcpBridge(command.options.dataDir ?? defaultDataDir(env));
      } catch (err) {
        return fail(err);
      }
    case "node":
      break;
    default: {
      const never: never = command;
      return never;
    }
  }

  const { options } = command;
  const log = createLogger(options.logLevel);
  // Listen for signals before starting: one that lands during start-up must still stop cleanly.
  const signal = new Promise<string>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  let node: Awaited<ReturnType<typeof startNode>>;
  try {
    node = await startNode({ ...options, dataDir: options.dataDir ?? defaultDataDir(env) }, log);
  } catch (err) {
    return fail(err);
  }
  process.stdout.write(
    `weft ${WEFT_VERSION} listening on ${node.url} (node ${node.identity.nodeId}, data ${node.dataDir})\n`,
  );
  if (options.host !== "0.0.0.0" && options.host !== "::" && !/^(127\.|::1$|localhost$)/.test(options.host)) {
    log.warn(
      `bound to ${options.host} only: the UI answers loopback clients, so ${node.url} will not reach it`,
    );
  }
  if (options.open) openBrowser(node.url, log);

  log.info(`${await signal}: stopping`);
  const deadline = setTimeout(() => {
    log.warn("shutdown took too long; exiting");
    process.exit(0);
  }, SHUTDOWN_DEADLINE_MS);
  await node.stop();
  clearTimeout(deadline);
  return 0;
}

function fail(err: unknown): number {
  if (err instanceof StartupError) {
    process.stderr.write(`weft: ${err.message}\n`);
    return 2;
  }
  process.stderr.write(`weft: unexpected error: ${err instanceof Error ? err.message : String(err)}\n`);
  if (process.env.WEFT_LOG_LEVEL === "debug" && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  return 1;
}

if (import.meta.main) {
  process.exit(await main(process.argv.slice(2), process.env));
}
