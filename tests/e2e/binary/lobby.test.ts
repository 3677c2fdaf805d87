import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { classes, methods } from "werift-ice/lib/ice-server/src/stun/const";
import { Message, parseMessage } from "werift-ice/lib/ice-server/src/stun/message";
import { lobbyHealth } from "../../../protocol/lobby.ts";
import { lonelyBinary } from "../../helpers/binary.ts";
import { LobbyPeer, newIdentity } from "../../helpers/lobby-peer.ts";

interface RunningLobbyBinary {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  line: string;
  port: number;
  lobbyId: string;
  wsUrl: string;
  url: string;
  stop(sig?: NodeJS.Signals): Promise<{ code: number | null; ms: number }>;
}

const LINE = /^weft lobby \d+\.\d+\.\d+ listening on ws:\/\/(\S+):(\d+)\/lobby-ws \(lobby ([a-z2-7]{16})\)$/;

let dir: string;
let bin: string;
const running: RunningLobbyBinary[] = [];

/** Starts `weft --lobby …` and waits for its one listening line. */
async function startLobbyBinary(
  args: string[],
  env: Record<string, string> = {},
): Promise<RunningLobbyBinary> {
  const proc = Bun.spawn([bin, "--lobby", ...args], {
    cwd: dir,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { PATH: process.env.PATH ?? "", HOME: dir, ...env },
  });
  const reader = proc.stdout.getReader();
  let text = "";
  const deadline = Date.now() + 10_000;
  while (!text.includes("\n")) {
    if (Date.now() > deadline) throw new Error("the lobby did not print its line in 10 s");
    const { value, done } = await reader.read();
    if (done) throw new Error(`the lobby exited before listening: ${await new Response(proc.stderr).text()}`);
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const line = text.trim();
  const match = LINE.exec(line);
  if (!match) throw new Error(`unexpected first line: ${line}`);
  const port = Number(match[2]);
  const lobby: RunningLobbyBinary = {
    proc,
    line,
    port,
    lobbyId: match[3]!,
    wsUrl: `ws://127.0.0.1:${port}/lobby-ws`,
    url: `http://127.0.0.1:${port}`,
    async stop(sig = "SIGTERM") {
      const started = performance.now();
      proc.kill(sig);
      const code = await proc.exited;
      return { code, ms: performance.now() - started };
    },
  };
  running.push(lobby);
  return lobby;
}

const LOOPBACK = ["--port", "0", "--host", "127.0.0.1"];

/** Runs the binary to its exit, killed after 10 s: a refusal that starts a lobby instead fails fast. */
function runBinary(args: string[], env: Record<string, string> = {}) {
  const r = Bun.spawnSync([bin, ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "", HOME: dir, ...env },
    stdout: "pipe",
    stderr: "pipe",
    timeout: 10_000,
  });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

beforeAll(() => {
  ({ dir, bin } = lonelyBinary());
});
afterAll(async () => {
  await Promise.all(running.filter((l) => l.proc.exitCode === null).map((l) => l.stop("SIGKILL")));
});

describe("weft --lobby, the compiled binary alone in an empty folder", () => {
  test("runs as a lobby with nothing beside it, its identity in the default data dir's lobby folder", async () => {
    expect(readdirSync(dir)).toEqual(["weft"]);
    const lobby = await startLobbyBinary(LOOPBACK, { XDG_DATA_HOME: join(dir, "xdg") });
    expect(lobby.line).toContain(`ws://127.0.0.1:${lobby.port}/lobby-ws`);
    expect(existsSync(join(dir, "xdg", "weft", "lobby", "identity.key"))).toBe(true);
    expect(existsSync(join(dir, "xdg", "weft", "identity.key"))).toBe(false);
    const health = lobbyHealth.parse(await (await fetch(`${lobby.url}/health`)).json());
    expect(health.lobby_id).toBe(lobby.lobbyId);
    expect((await lobby.stop()).code).toBe(0);
  });

  test("answers /health and a status page without names or addresses, and keeps its id across restarts", async () => {
    const lobby = await startLobbyBinary([...LOOPBACK, "--data-dir", "./lobby-data"]);
    const { peer } = await LobbyPeer.registered(lobby.wsUrl, {
      name: "Private Person",
      addresses: ["ws://192.0.2.77:7420/peer-ws"],
    });
    const health = lobbyHealth.parse(await (await fetch(`${lobby.url}/health`)).json());
    expect(health).toMatchObject({ status: "ok", lobby_id: lobby.lobbyId, nodes: 1, rooms: 0 });
    const page = await (await fetch(`${lobby.url}/`)).text();
    expect(page).toContain(lobby.lobbyId);
    for (const secret of ["Private Person", "192.0.2.77", peer.id]) expect(page).not.toContain(secret);
    peer.close();
    expect((await lobby.stop("SIGINT")).code).toBe(0);
    const again = await startLobbyBinary([...LOOPBACK, "--data-dir", "./lobby-data"]);
    expect(again.lobbyId).toBe(lobby.lobbyId);
    expect((await again.stop()).code).toBe(0);
  });

  test("answers STUN on UDP at its own port number, or the one --stun-port names, and none with off", async () => {
    const answers: Buffer[] = [];
    const asker = await Bun.udpSocket({
      hostname: "127.0.0.1",
      binaryType: "buffer",
      socket: { data: (_s, data) => void answers.push(data), error: () => {} },
    });
    /** What a STUN client learns from UDP `port`: its own address as seen there, or null. */
    const ask = async (port: number) => {
      answers.length = 0;
      asker.send(new Message(methods.BINDING, classes.REQUEST).bytes, port, "127.0.0.1");
      const deadline = Date.now() + 1_000;
      while (answers.length === 0 && Date.now() < deadline) await Bun.sleep(10);
      const answer = answers[0] ? parseMessage(answers[0]) : undefined;
      return answer?.getAttributeValue("XOR-MAPPED-ADDRESS") ?? null;
    };
    try {
      const lobby = await startLobbyBinary(LOOPBACK);
      expect(await ask(lobby.port)).toEqual(["127.0.0.1", asker.port]);
      const health = lobbyHealth.parse(await (await fetch(`${lobby.url}/health`)).json());
      expect(health.stun_port).toBe(lobby.port);
      const spare = await Bun.udpSocket({ hostname: "127.0.0.1" });
      const stunPort = spare.port;
      spare.close();
      const elsewhere = await startLobbyBinary([...LOOPBACK, "--stun-port", String(stunPort)]);
      expect(await ask(stunPort)).toEqual(["127.0.0.1", asker.port]);
      const off = await startLobbyBinary([...LOOPBACK, "--stun-port", "off"]);
      expect(await ask(off.port)).toBeNull();
      expect(lobbyHealth.parse(await (await fetch(`${off.url}/health`)).json()).stun_port).toBeUndefined();
      for (const l of [lobby, elsewhere, off]) expect((await l.stop()).code).toBe(0);
    } finally {
      asker.close();
    }
  });

  test("refuses a replayed registration, another key's signature, a mismatched id, frames before register and silence", async () => {
    const lobby = await startLobbyBinary([
      ...LOOPBACK,
      "--data-dir",
      "./refusals",
      "--limit",
      "registerTimeoutMs=300",
    ]);
    const identity = await newIdentity();

    const first = await LobbyPeer.connect(lobby.wsUrl, identity);
    const oldNonce = first.challenge.nonce;
    first.close();
    const replay = await LobbyPeer.connect(lobby.wsUrl, identity);
    replay.send(replay.registerFrame({ nonce: oldNonce }));
    expect((await replay.next("error")).code).toBe("auth");
    await replay.waitClose();

    const wrongKey = await LobbyPeer.connect(lobby.wsUrl);
    wrongKey.send(wrongKey.registerFrame({ signer: await newIdentity() }));
    expect((await wrongKey.next("error")).code).toBe("auth");
    await wrongKey.waitClose();

    const mismatch = await LobbyPeer.connect(lobby.wsUrl);
    mismatch.send(mismatch.registerFrame({ override: { node_id: identity.nodeId } }));
    expect((await mismatch.next("error")).code).toBe("auth");
    await mismatch.waitClose();

    const early = await LobbyPeer.connect(lobby.wsUrl);
    early.send({ type: "signal", to: identity.nodeId, data: "hi" });
    expect((await early.next("error")).code).toBe("unregistered");
    await early.waitClose();

    const silent = await LobbyPeer.connect(lobby.wsUrl);
    await silent.waitClose(3_000);

    expect(lobbyHealth.parse(await (await fetch(`${lobby.url}/health`)).json()).nodes).toBe(0);
    // The honest path still works on the same lobby.
    const { peer } = await LobbyPeer.registered(lobby.wsUrl, {}, identity);
    peer.close();
    expect((await lobby.stop()).code).toBe(0);
  });

  test("SIGTERM says goodbye to connected nodes and exits 0 within 2 s", async () => {
    const lobby = await startLobbyBinary([...LOOPBACK, "--data-dir", "./shutdown"]);
    const { peer } = await LobbyPeer.registered(lobby.wsUrl);
    const { code, ms } = await lobby.stop("SIGTERM");
    expect(code).toBe(0);
    expect(ms).toBeLessThan(2_000);
    expect((await peer.next("goodbye")).reason).toBe("shutdown");
    expect((await peer.waitClose()).code).toBe(1001);
  });

  test("bad flags, a port in use and an unusable data dir print one line and exit 2", async () => {
    const blocker = join(dir, "a-file");
    writeFileSync(blocker, "x");
    const busy = await startLobbyBinary([...LOOPBACK, "--data-dir", "./busy"]);
    const cases: Array<[string[], string, Record<string, string>?]> = [
      [["--lobby", "--limit", "bogus=1"], 'unknown lobby limit "bogus"'],
      [["--lobby", "--limit", "maxNodes=many"], "maxNodes must be a whole number"],
      [["--lobby"], "WEFT_LOBBY_LIMITS", { WEFT_LOBBY_LIMITS: "maxNodes" }],
      [["--lobby", "--name", "x"], "only for a node"],
      [["--limit", "maxNodes=2"], "only for --lobby"],
      [["--lobby", "--port", "high"], "--port must be a port number"],
      // Nothing listens on port 1: the line names where it looked, never the URL's password.
      [
        ["--lobby", "--redis-url", "redis://:hunter2@127.0.0.1:1"],
        "cannot reach Redis at redis://127.0.0.1:1",
      ],
      [["--lobby"], "cannot reach Redis", { WEFT_REDIS_URL: "redis://127.0.0.1:1" }],
      [["--lobby", "--redis-url", "http://:hunter2@127.0.0.1:1"], 'URL, got "http://…@127.0.0.1:1"'],
      [["--lobby", "--data-dir", join(blocker, "sub")], "data dir"],
      [["--lobby", "--host", "127.0.0.1", "--port", String(busy.port), "--data-dir", "./other"], "in use"],
      [["--lobby", "--stun-port", "0"], "--stun-port must be a port number from 1 to 65535, or off"],
      [
        ["--lobby", ...LOOPBACK, "--stun-port", String(busy.port), "--data-dir", "./other"],
        `cannot answer STUN: UDP port ${busy.port} is in use`,
      ],
    ];
    for (const [args, expected, env] of cases) {
      const r = runBinary(args, env);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(expected);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      // No stack frame (a line "    at fn (file:line:col)"): "Redis at redis://host:port" is not one.
      expect(r.stderr).not.toMatch(/^\s+at \S.*:\d+:\d+\)?$/m);
      expect(r.stderr).not.toContain("hunter2");
    }
    expect((await busy.stop()).code).toBe(0);
  });

  test("--help documents the lobby mode and --limit with the limit names", () => {
    const help = runBinary(["--help"]);
    expect(help.code).toBe(0);
    for (const text of [
      "--lobby",
      "--limit NAME=VALUE",
      "WEFT_LOBBY_LIMITS",
      "/lobby-ws",
      "relayFramesPerSec=2000",
    ]) {
      expect(help.stdout).toContain(text);
    }
  });
});
