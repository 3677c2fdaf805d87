import { afterAll, describe, expect, test } from "bun:test";
import { LOCAL_NODE_ARGS, type RunningBinary, runBinary, startBinary } from "../helpers/binary.ts";
import { waitFor } from "../helpers/browser.ts";
import { chatTab } from "../helpers/chat-tab.ts";
import { type LobbyBinary, startLobbyBinary } from "../helpers/lobby-binary.ts";
import {
  createTokenRoom,
  joinWithToken,
  type LobbyBinaryNode,
  linkedOver,
  lobbyState,
  received,
  startLobbyBinaryNode,
} from "../helpers/lobby-binary-nodes.ts";
import { lobbyEvent } from "../helpers/lobby-nodes.ts";
import { downloaded, qemuAarch64, version } from "./release-files.ts";

/**
 * The linux-arm64 download run on this x86-64 machine under user-mode emulation (qemu-aarch64):
 * its `--version`, a start alone in an empty folder answering `/api/health`, and a WebRTC link to
 * the linux-x64 download through a lobby, which only works if its embedded arm64 add-on loads.
 * Without qemu these cannot run: then each says so in its name and is skipped, never passed, and
 * under CI (which installs qemu) it fails instead.
 */

const file = `weft-${version}-linux-arm64`;
const qemu = qemuAarch64();
const running: RunningBinary[] = [];
const lobbies: LobbyBinary[] = [];
const tabs: Array<{ close(): void }> = [];
afterAll(async () => {
  for (const tab of tabs) tab.close();
  for (const p of [...running.map((n) => n.proc), ...lobbies.map((l) => l.proc)]) {
    if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
    await p.exited;
  }
});

if ("missing" in qemu) {
  const why = `NOT RUN: ${qemu.missing}; the linux-arm64 download was not started`;
  console.warn(`tests/release/linux-arm64.test.ts: ${why}`);
  if (process.env.CI === "true") {
    test(`${file} runs under qemu-aarch64 (${why})`, () => {
      throw new Error(why);
    });
  } else {
    test.skip(`${file} under qemu-aarch64 (${why})`, () => {});
  }
} else {
  const { prefix } = qemu;
  describe(`${file} under qemu-aarch64, alone in an empty folder`, () => {
    test("--version prints the release and the machine it is for", () => {
      const { dir, bin } = downloaded(file);
      const out = runBinary(prefix[0]!, [...prefix.slice(1), bin, "--version"], dir);
      expect(out).toEqual({ code: 0, stdout: `weft ${version} (linux-arm64)\n`, stderr: "" });
    }, 60_000);

    test("starts, answers /api/health with its version and stops on SIGTERM", async () => {
      const { dir, bin } = downloaded(file);
      const args = [...prefix.slice(1), bin, ...LOCAL_NODE_ARGS];
      const node = await startBinary(prefix[0]!, args, dir);
      running.push(node);
      const health = (await (await fetch(`${node.url}api/health`)).json()) as Record<string, unknown>;
      expect(health).toMatchObject({ status: "ok", version });
      expect((await node.signal("SIGTERM")).code).toBe(0);
    }, 60_000);

    test("links to the linux-x64 download over WebRTC through a lobby, with direct links and the relay off", async () => {
      const x64 = downloaded(`weft-${version}-linux-x64`);
      const arm = downloaded(file);
      const lobby = await startLobbyBinary(x64.bin);
      lobbies.push(lobby);
      const keep = { nodes: running, tabs };
      const settings = { "network.enableDirect": false, "network.enableRelay": false };
      const start = (
        name: string,
        bin: string,
        folder: string,
        launch?: { prefix: string[]; host: string; port: number },
      ) =>
        startLobbyBinaryNode({
          bin,
          name,
          lobbyUrl: lobby.address,
          settings,
          folder,
          keepLog: true,
          keep,
          ...(launch ? { launch } : {}),
        });
      const host = await start("x64", x64.bin, x64.dir);
      const guest = await start("arm64", arm.bin, arm.dir, { prefix, host: "127.0.0.1", port: 0 });
      const registered = (n: LobbyBinaryNode) => async () => (await lobbyState(n)).status === "connected";
      await waitFor(registered(host), "the x64 node's registration", 20_000);
      await waitFor(registered(guest), "the arm64 node's registration", 30_000);

      const room = await createTokenRoom(host, "unlisted", 20_000);
      joinWithToken(guest, room);
      const ended = (
        await guest.tab.next(
          lobbyEvent("join_progress", (d) => d.step === "connected" || d.step === "failed"),
          45_000,
        )
      ).data as { step: string; transport?: string; error?: string };
      const logs = `\nx64 log:\n${host.log.text}\narm64 log:\n${guest.log.text}`;
      expect(ended, logs).toMatchObject({ step: "connected", transport: "webrtc" });
      await waitFor(() => linkedOver(host, guest, "webrtc"), "a WebRTC link both ways", 20_000);

      const chat = await chatTab(guest.run.port);
      tabs.push(chat.tab);
      chat.send(host.nodeId, "from arm64 over WebRTC");
      await waitFor(
        async () => (await received(host, guest, "from arm64 over WebRTC")) === 1,
        "the message",
        20_000,
      );
    }, 150_000);
  });
}
