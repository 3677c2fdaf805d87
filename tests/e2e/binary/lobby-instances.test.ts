import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { lobbyHealth } from "../../../protocol/lobby.ts";
import { lonelyBinary } from "../../helpers/binary.ts";
import { LobbyPeer } from "../../helpers/lobby-peer.ts";
import { type RedisServer, startRedisServer } from "../../helpers/redis-server.ts";

const LINE = /^weft lobby \S+ listening on ws:\/\/\S+:(\d+)\/lobby-ws \(lobby ([a-z2-7]{16})\)$/;

let dir: string;
let bin: string;
let redis: RedisServer | undefined;
const procs: Subprocess<"ignore", "pipe", "pipe">[] = [];

beforeAll(async () => {
  ({ dir, bin } = lonelyBinary());
  // No redis-server is a failure with its reason, never a silent skip.
  redis = await startRedisServer();
});
afterAll(async () => {
  for (const p of procs) if (p.exitCode === null) p.kill("SIGKILL");
  await redis?.close();
});

/** `weft --lobby --redis-url …` on a free port with `dataDir`; resolves once it prints its line. */
async function instance(dataDir: string) {
  const proc = Bun.spawn(
    [bin, "--lobby", "--port", "0", "--host", "127.0.0.1", "--data-dir", dataDir, "--redis-url", redis!.url],
    {
      cwd: dir,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      env: { PATH: process.env.PATH ?? "", HOME: dir },
    },
  );
  procs.push(proc);
  const reader = proc.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the lobby exited before listening: ${await new Response(proc.stderr).text()}`);
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  void proc.stderr.pipeTo(new WritableStream()).catch(() => {});
  const match = LINE.exec(text.trim());
  if (!match) throw new Error(`unexpected first line: ${text.trim()}`);
  const port = Number(match[1]);
  return {
    proc,
    lobbyId: match[2]!,
    wsUrl: `ws://127.0.0.1:${port}/lobby-ws`,
    health: async () => lobbyHealth.parse(await (await fetch(`http://127.0.0.1:${port}/health`)).json()),
  };
}

describe("weft --lobby --redis-url, two compiled instances on one redis-server", () => {
  test("are one lobby: one id, each other's nodes listed, signals across, and a stopped one's nodes gone at once", async () => {
    const one = await instance("./first");
    // The operator gives each instance a copy of one data dir: one identity, one lobby id.
    cpSync(join(dir, "first"), join(dir, "second"), { recursive: true });
    const two = await instance("./second");
    expect(two.lobbyId).toBe(one.lobbyId);
    const [h1, h2] = [await one.health(), await two.health()];
    expect([h1.status, h2.status]).toEqual(["ok", "ok"]);
    expect(h1.instance).not.toBe(h2.instance);

    const { peer: a } = await LobbyPeer.registered(one.wsUrl, { name: "on one" });
    const { peer: b } = await LobbyPeer.registered(two.wsUrl, { name: "on two" });
    try {
      expect((await a.untilListed(b.id, undefined, 5_000)).node_name).toBe("on two");
      await b.untilListed(a.id, undefined, 5_000);
      a.send({ type: "signal", to: b.id, data: "across" });
      expect(await b.next("signal", 5_000)).toEqual({ type: "signal", from: a.id, data: "across" });

      two.proc.kill("SIGTERM");
      expect(await two.proc.exited).toBe(0);
      // A clean stop takes its nodes out of the shared directory then, not at their lease's end.
      await a.untilGone(b.id, 2_000);
    } finally {
      a.close();
      b.close();
    }
    one.proc.kill("SIGTERM");
    expect(await one.proc.exited).toBe(0);
  }, 30_000);
});
