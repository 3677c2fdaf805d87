import { DEFAULT_LOBBY_LIMITS } from "../../lobby/limits.ts";
import { FLAGS } from "./args.ts";

/** The lobby's limits as `name=default` pairs, wrapped to the help's width. */
function limitLines(): string[] {
  const lines: string[] = [];
  let line = "   ";
  for (const [name, value] of Object.entries(DEFAULT_LOBBY_LIMITS)) {
    const item = ` ${name}=${value}`;
    if (line.length + item.length > 96) {
      lines.push(line);
      line = "   ";
    }
    line += item;
  }
  lines.push(line);
  return lines;
}

/**
 * The line `weft --version` prints: the release and the `os-arch` it was built for, so a person can
 * tell which download they have (`weft 0.1.0 (darwin-arm64)`); a source run names the machine.
 */
export function versionText(version: string, target: string, host: string): string {
  return target === "source" ? `weft ${version} (source, ${host})\n` : `weft ${version} (${target})\n`;
}

/** The text of `weft --help`, built from the flag table so the two never disagree. */
export function helpText(version: string): string {
  const rows = Object.entries(FLAGS).map(([name, f]) => {
    const left = `  --${name}${"arg" in f ? ` ${f.arg}` : ""}`;
    const env = f.env ? `  [${f.env}]` : "";
    return `${left.padEnd(22)} ${f.help}${env}`;
  });
  return [
    `weft ${version} — a personal dashboard with a peer fabric`,
    "",
    "Usage:",
    "  weft [--port N] [--host ADDR] [--data-dir DIR] [--name NAME] [--no-open] [--log-level L]",
    "  weft --lobby [--port N] [--host ADDR] [--data-dir DIR] [--limit NAME=VALUE]... [--redis-url URL]",
    "               [--stun-port N|off]",
    "  weft mcp [--data-dir DIR]",
    "  weft --help | --version",
    "",
    "Options (each has the WEFT_* environment twin shown in brackets):",
    ...rows,
    "",
    "With no arguments weft starts a node on port 7420 (the next free port if taken) and opens",
    "your browser on it. Only this machine may reach the UI; other weft nodes reach /peer-ws.",
    "",
    "The node serves an MCP endpoint for your own agent at /mcp (this machine only, with the bearer",
    "token in the data dir's mcp-token). weft mcp is the same over stdio, for MCP clients that only",
    "start servers: it forwards to the node running on that data dir, and exits 2 if none is.",
    "",
    "With --lobby weft runs a lobby instead: a meeting point on a server that nodes connect out to",
    "(ws://HOST:7400/lobby-ws) for presence, rooms, WebRTC signaling and a relay, and answers STUN",
    "on UDP (the same port number unless --stun-port says otherwise). It keeps its own",
    "identity in its data dir (default: the node's data dir plus /lobby), answers GET /health and",
    "a status page at /, and is open to the network by design. Its limits and their defaults",
    "(override with --limit NAME=VALUE, repeated, or WEFT_LOBBY_LIMITS=NAME=VALUE,NAME=VALUE):",
    ...limitLines(),
    "",
  ].join("\n");
}
