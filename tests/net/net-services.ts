import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { firstLine, LISTENING } from "../helpers/lobby-binary.ts";
import { tempDir } from "../helpers/temp-dir.ts";
import { INTERNET, type Topology } from "./nat-topology.ts";
import { shIn, spawnIn } from "./netns.ts";

/** The public services of a simulated internet: a compiled lobby and coturn, on its public addresses. */

/** The lobby's port, its default, as a person's server would have it. */
export const LOBBY_PORT = 7400;
/** STUN and TURN, on UDP, coturn's default port. */
export const TURN_PORT = 3478;

/** Text a process wrote, kept for a failure to quote. */
export interface Captured {
  text: string;
}

/** Drains a pipe into `into`, so the process never stalls on a full one. */
function capture(stream: ReadableStream<Uint8Array>, into: Captured): void {
  void stream
    .pipeTo(
      new WritableStream({
        write(chunk) {
          into.text += new TextDecoder().decode(chunk);
        },
      }),
    )
    .catch(() => {});
}

export interface NetLobby {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  lobbyId: string;
  /** What a node's `network.lobbyUrl` names: `ws://203.0.113.10:7400`. */
  address: string;
  /** Its log (stderr) so far. */
  log: Captured;
}

/** Starts `weft --lobby --host <its public address> --port 7400` in the internet namespace. */
export async function startNetLobby(topology: Topology, bin: string): Promise<NetLobby> {
  const dir = tempDir("weft-net-lobby-");
  const proc = spawnIn(
    topology.internet.ns,
    [bin, "--lobby", "--host", INTERNET.lobby, "--port", String(LOBBY_PORT), "--data-dir", join(dir, "data")],
    { cwd: dir, env: { HOME: dir } },
  );
  const line = await firstLine(proc);
  const match = LISTENING.exec(line);
  if (!match) throw new Error(`unexpected first line from the lobby: ${line}`);
  const log: Captured = { text: "" };
  capture(proc.stderr, log);
  capture(proc.stdout, { text: "" });
  return { proc, lobbyId: match[3]!, address: `ws://${INTERNET.lobby}:${LOBBY_PORT}`, log };
}

export interface NetTurn {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  /** `stun:203.0.113.20:3478`. */
  stunUrl: string;
  /** `turn:203.0.113.20:3478`, over UDP. */
  turnUrl: string;
  username: string;
  credential: string;
  /** Its log file, for a failure to quote. */
  logFile: string;
  /** The log so far. */
  log(): string;
}

/**
 * Starts coturn in the internet namespace: STUN and TURN on UDP 3478 at its public address, relay
 * ports there too, long-term credentials in a realm, no TLS, DTLS or CLI, its user database and
 * verbose log in a temp dir (`-n`: no system config file is read). Resolves once it listens.
 */
export async function startNetTurn(topology: Topology): Promise<NetTurn> {
  if (!Bun.which("turnserver"))
    throw new Error("coturn is missing for the NAT tests: apt-get install -y coturn");
  const dir = tempDir("weft-net-turn-");
  const [username, credential] = ["weft", `pw-${process.pid}-${Date.now().toString(36)}`];
  const logFile = join(dir, "turn.log");
  const proc = spawnIn(topology.internet.ns, [
    "turnserver",
    "-n",
    "--listening-ip",
    INTERNET.turn,
    "--relay-ip",
    INTERNET.turn,
    "--listening-port",
    String(TURN_PORT),
    "--min-port",
    "49152",
    "--max-port",
    "65535",
    "--lt-cred-mech",
    "--realm",
    "weft.test",
    "--user",
    `${username}:${credential}`,
    "--fingerprint",
    "--no-tls",
    "--no-dtls",
    "--no-tcp-relay",
    "--no-cli",
    "--userdb",
    join(dir, "turndb"),
    "--pidfile",
    join(dir, "turnserver.pid"),
    "--log-file",
    logFile,
    "--simple-log",
    "--no-stdout-log",
    "--verbose",
  ]);
  capture(proc.stdout, { text: "" });
  const err: Captured = { text: "" };
  capture(proc.stderr, err);
  const log = () => {
    try {
      return readFileSync(logFile, "utf8");
    } catch {
      return "";
    }
  };
  const deadline = Date.now() + 10_000;
  while (!listensOnUdp(topology.internet.ns, INTERNET.turn, TURN_PORT)) {
    if (proc.exitCode !== null) throw new Error(`coturn exited (${proc.exitCode}): ${err.text}${log()}`);
    if (Date.now() > deadline) throw new Error(`coturn did not listen on UDP ${TURN_PORT} in 10 s: ${log()}`);
    await Bun.sleep(50);
  }
  return {
    proc,
    stunUrl: `stun:${INTERNET.turn}:${TURN_PORT}`,
    turnUrl: `turn:${INTERNET.turn}:${TURN_PORT}`,
    username,
    credential,
    logFile,
    log,
  };
}

function listensOnUdp(ns: string, ip: string, port: number): boolean {
  return shIn(ns, ["ss", "-Hlun", `sport = :${port}`]).includes(`${ip}:${port}`);
}
