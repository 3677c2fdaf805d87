import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { lonelyBinary, pairBinaries, type RunningBinary } from "../../helpers/binary.ts";
import { waitFor } from "../../helpers/browser.ts";
import { chatTab } from "../../helpers/chat-tab.ts";
import {
  createTokenRoom,
  joinWithToken,
  linkedOver,
  listsRoom,
  lobbyState,
  type LobbyBinaryNode as Node,
  peerOf,
  received,
  startLobbyBinaryNode,
} from "../../helpers/lobby-binary-nodes.ts";
import { lobbyEvent } from "../../helpers/lobby-nodes.ts";
import { tempDir } from "../../helpers/temp-dir.ts";
import { openTab, type TestTab } from "../../helpers/ws-client.ts";

/**
 * Compiled nodes that meet through a compiled lobby, driven as people drive them (REST and `/ws`
 * tabs): they pair through a token room, chat over the relay, and ride out the lobby being
 * killed and started again; a link that never needed the lobby does not notice it going.
 */

const LINE = /listening on ws:\/\/[^:]+:(\d+)\/lobby-ws \(lobby ([a-z2-7]{16})\)/;

interface LobbyProcess {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  port: number;
  lobbyId: string;
  wsUrl: string;
}

let bin: string;
const processes: Array<Subprocess<"ignore", "pipe", "pipe">> = [];
const nodes: RunningBinary[] = [];
const tabs: TestTab[] = [];

beforeAll(() => {
  ({ bin } = lonelyBinary());
});

async function killAll(): Promise<void> {
  for (const tab of tabs.splice(0)) tab.close();
  for (const proc of [...nodes.splice(0).map((n) => n.proc), ...processes.splice(0)]) {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill("SIGKILL");
      await proc.exited;
    }
  }
}
afterEach(killAll);
afterAll(killAll);

/** `weft --lobby` on loopback, on a free port or the one it had, with its data dir. */
async function startLobbyBinary(dataDir: string, port = 0): Promise<LobbyProcess> {
  const proc = Bun.spawn(
    [bin, "--lobby", "--port", String(port), "--host", "127.0.0.1", "--data-dir", dataDir],
    {
      cwd: dataDir,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      env: { PATH: process.env.PATH ?? "", HOME: dataDir },
    },
  );
  processes.push(proc);
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
  const match = LINE.exec(text);
  if (!match) throw new Error(`unexpected first line: ${text}`);
  const bound = Number(match[1]);
  return { proc, port: bound, lobbyId: match[2]!, wsUrl: `ws://127.0.0.1:${bound}/lobby-ws` };
}

/** A compiled node alone in its folder, on the lobby, with direct links on or off. */
function startNode(name: string, lobbyUrl: string, direct: boolean): Promise<Node> {
  return startLobbyBinaryNode({
    bin,
    name,
    lobbyUrl,
    settings: {
      "network.enableDirect": direct,
      // These are the relay's tests: the path WebRTC would take instead has its own (webrtc.test.ts).
      "network.enableWebRtc": false,
    },
    keep: { nodes, tabs },
  });
}

async function bothOnLobby(a: Node, b: Node, status: string, ms: number): Promise<void> {
  await waitFor(
    async () => (await lobbyState(a)).status === status && (await lobbyState(b)).status === status,
    `both nodes' lobby to be ${status}`,
    ms,
  );
}

describe("compiled nodes on a compiled lobby", () => {
  test("a relayed pair rides out the lobby killed and started again: registration, the room, the link and a message sent meanwhile come back", async () => {
    const lobbyDir = tempDir("weft-lobby-");
    const lobby = await startLobbyBinary(lobbyDir);
    const host = await startNode("host", lobby.wsUrl, false);
    const guest = await startNode("guest", lobby.wsUrl, false);
    await bothOnLobby(host, guest, "connected", 10_000);
    expect((await lobbyState(host)).lobby_id).toBe(lobby.lobbyId);

    const room = await createTokenRoom(host, "public", 5000);
    joinWithToken(guest, room);
    await guest.tab.next(
      lobbyEvent("join_progress", (d) => d.step === "connected"),
      10_000,
    );
    await waitFor(() => linkedOver(host, guest, "relay"), "a relayed link both ways", 10_000);

    const chat = await chatTab(guest.run.port);
    tabs.push(chat.tab);
    chat.send(host.nodeId, "before the lobby went down");
    await waitFor(
      async () => (await received(host, guest, "before the lobby went down")) === 1,
      "the first message",
      10_000,
    );

    lobby.proc.kill("SIGKILL");
    await lobby.proc.exited;
    await waitFor(
      async () => (await peerOf(guest, host))?.status !== "connected",
      "the guest to see the relayed link go",
      10_000,
    );
    expect((await lobbyState(guest)).status).not.toBe("connected");
    chat.send(host.nodeId, "sent while the lobby was down");
    await Bun.sleep(500);
    expect(await received(host, guest, "sent while the lobby was down")).toBe(0);

    const again = await startLobbyBinary(lobbyDir, lobby.port);
    expect(again.lobbyId).toBe(lobby.lobbyId);
    await bothOnLobby(host, guest, "connected", 30_000);
    // The host's room is back with the same id, as a fresh tab on the guest lists it.
    const looking = await openTab(guest.run.port);
    tabs.push(looking);
    await waitFor(() => listsRoom(looking, room.id), "the host's room to be listed again", 10_000);
    await waitFor(() => linkedOver(host, guest, "relay"), "the relayed link to come back", 40_000);
    await waitFor(
      async () => (await received(host, guest, "sent while the lobby was down")) === 1,
      "the message sent meanwhile",
      10_000,
    );
    await Bun.sleep(500);
    expect(await received(host, guest, "sent while the lobby was down")).toBe(1);
    expect(await received(host, guest, "before the lobby went down")).toBe(1);
  }, 120_000);

  test("a direct link does not notice its nodes' lobby dying", async () => {
    const lobby = await startLobbyBinary(tempDir("weft-lobby-"));
    const a = await startNode("alice", lobby.wsUrl, true);
    const b = await startNode("bob", lobby.wsUrl, true);
    await bothOnLobby(a, b, "connected", 10_000);
    await pairBinaries(a.run, b.run);
    expect(await linkedOver(a, b, "direct")).toBe(true);

    lobby.proc.kill("SIGKILL");
    await lobby.proc.exited;
    await bothOnLobby(a, b, "retrying", 10_000);
    await Bun.sleep(1500); // several liveness pings later
    expect(await linkedOver(a, b, "direct")).toBe(true);

    const chat = await chatTab(b.run.port);
    tabs.push(chat.tab);
    chat.send(a.nodeId, "no lobby needed");
    await waitFor(
      async () => (await received(a, b, "no lobby needed")) === 1,
      "the message over the direct link",
      5000,
    );
  }, 60_000);
});
