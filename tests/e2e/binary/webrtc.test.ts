import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { PeerRow } from "../../../protocol/network.ts";
import { lonelyBinary, type RunningBinary } from "../../helpers/binary.ts";
import { waitFor } from "../../helpers/browser.ts";
import { chatTab } from "../../helpers/chat-tab.ts";
import { type LobbyBinary, startLobbyBinary } from "../../helpers/lobby-binary.ts";
import {
  createTokenRoom,
  joinWithToken,
  linkedOver,
  lobbyState,
  type LobbyBinaryNode as Node,
  peerOf,
  received,
  sameText,
  shareScratch,
  startLobbyBinaryNode,
} from "../../helpers/lobby-binary-nodes.ts";
import { lobbyEvent } from "../../helpers/lobby-nodes.ts";
import { tempDir } from "../../helpers/temp-dir.ts";

/**
 * Two compiled nodes, each a binary alone in an empty folder as a person downloads it, meet through
 * a compiled lobby and link over WebRTC with direct links and the relay turned off: the WebRTC
 * library has to be inside the binary, since nothing lies beside it. They chat and share a
 * Scratch over that link, keep it when the lobby dies, and fall back to the relay when one side
 * has WebRTC turned off.
 */

/** One downloaded copy each, so neither node can find anything the other's folder holds. */
let copies: { host: { dir: string; bin: string }; guest: { dir: string; bin: string } };
const lobbies: LobbyBinary[] = [];
const nodes: RunningBinary[] = [];
const tabs: Array<{ close(): void }> = [];

beforeAll(() => {
  copies = { host: lonelyBinary(), guest: lonelyBinary() };
});
async function killAll(): Promise<void> {
  for (const tab of tabs.splice(0)) tab.close();
  for (const p of [...nodes.splice(0).map((n) => n.proc), ...lobbies.splice(0).map((l) => l.proc)]) {
    if (p.exitCode === null && p.signalCode === null) {
      p.kill("SIGKILL");
      await p.exited;
    }
  }
}
afterEach(killAll);
afterAll(killAll);

/**
 * A compiled node started from its lonely folder, with direct links off and `settings` on top. Its
 * data dir lies elsewhere so the folder holds the binary alone at every start; its log is kept,
 * so a failure can say why WebRTC did not come up.
 */
function startNode(
  role: "host" | "guest",
  lobbyUrl: string,
  settings: Record<string, unknown>,
): Promise<Node> {
  const copy = copies[role];
  expect(readdirSync(copy.dir)).toEqual(["weft"]);
  return startLobbyBinaryNode({
    bin: copy.bin,
    name: role,
    lobbyUrl,
    settings: { "network.enableDirect": false, ...settings },
    folder: copy.dir,
    dataDir: join(tempDir(`weft-${role}-data-`), "data"),
    keepLog: true,
    keep: { nodes, tabs },
  });
}

/** Waits until the node's Lobby pane, asked afresh, says it is registered. */
async function registered(node: Node): Promise<void> {
  await waitFor(
    async () => (await lobbyState(node)).status === "connected",
    "registration with the lobby",
    10_000,
  );
}

/**
 * A lobby and two nodes on it; the host makes a token room and the guest joins it with the token.
 * Resolves with the guest's `join_progress` data once it reached `connected` (or throws with both
 * logs when it failed).
 */
async function pairThroughRoom(guestSettings: Record<string, unknown> = {}, hostSettings = guestSettings) {
  const lobby = await startLobbyBinary(copies.host.bin);
  lobbies.push(lobby);
  const host = await startNode("host", lobby.address, hostSettings);
  const guest = await startNode("guest", lobby.address, guestSettings);
  await registered(host);
  await registered(guest);
  const room = await createTokenRoom(host, "unlisted", 10_000);
  joinWithToken(guest, room);
  const ended = (
    await guest.tab.next(
      lobbyEvent("join_progress", (d) => d.step === "connected" || d.step === "failed"),
      20_000,
    )
  ).data as { step: string; transport?: string; error?: string };
  if (ended.step !== "connected") {
    throw new Error(
      `the join failed: ${ended.error}\nhost log:\n${host.log.text}\nguest log:\n${guest.log.text}`,
    );
  }
  return { lobby, host, guest, joined: ended };
}

/** Sends one message each way and waits until each arrived exactly once. */
async function chatBothWays(host: Node, guest: Node, tag: string): Promise<void> {
  const [hostChat, guestChat] = [await chatTab(host.run.port), await chatTab(guest.run.port)];
  tabs.push(hostChat.tab, guestChat.tab);
  hostChat.send(guest.nodeId, `from the host ${tag}`);
  guestChat.send(host.nodeId, `from the guest ${tag}`);
  await waitFor(
    async () =>
      (await received(guest, host, `from the host ${tag}`)) === 1 &&
      (await received(host, guest, `from the guest ${tag}`)) === 1,
    `a message each way ${tag}`,
    10_000,
  );
  await Bun.sleep(300);
  expect(await received(guest, host, `from the host ${tag}`)).toBe(1);
  expect(await received(host, guest, `from the guest ${tag}`)).toBe(1);
}

/** Every row the node's Peers pane was pushed for `peer`, as `status/transport`. */
function rowsPushed(node: Node, peer: Node): string[] {
  return node.tab.frames
    .filter((f) => f.channel === "network" && f.event === "peer_update")
    .map((f) => (f.data as { peer: PeerRow }).peer)
    .filter((p) => p.node_id === peer.nodeId)
    .map((p) => `${p.status}/${p.transport}`);
}

describe("compiled nodes alone in their folders, over WebRTC", () => {
  test("two compiled nodes alone in their folders link over WebRTC through a compiled lobby, with the relay off", async () => {
    const off = { "network.enableRelay": false };
    const { host, guest, joined } = await pairThroughRoom(off);
    expect(joined.transport).toBe("webrtc");
    await waitFor(() => linkedOver(host, guest, "webrtc"), "a WebRTC link both ways", 10_000);
    // The row names the transport first, then the candidates ICE chose.
    expect((await peerOf(guest, host))?.path_reason).toStartWith("webrtc");

    await chatBothWays(host, guest, "over WebRTC");

    const { hostNote, guestNote } = await shareScratch(host, guest, tabs);
    hostNote.insert(0, "# ");
    await waitFor(
      () => sameText(hostNote, guestNote, "# plan: ship it"),
      "the host's edit at the guest",
      10_000,
    );
  }, 60_000);

  test("the WebRTC link outlives the lobby", async () => {
    const { lobby, host, guest } = await pairThroughRoom({ "network.enableRelay": false });
    await waitFor(() => linkedOver(host, guest, "webrtc"), "a WebRTC link both ways", 10_000);
    await chatBothWays(host, guest, "before the lobby died");
    const [hostSaw, guestSaw] = [rowsPushed(host, guest).length, rowsPushed(guest, host).length];

    lobby.proc.kill("SIGKILL");
    await lobby.proc.exited;
    await Bun.sleep(1500); // several liveness pings later, with nothing left to carry signals
    // The same link all along: neither Peers pane was shown the peer leaving or coming back.
    const other = (rows: string[]) => rows.filter((r) => r !== "connected/webrtc");
    expect(other(rowsPushed(host, guest).slice(hostSaw))).toEqual([]);
    expect(other(rowsPushed(guest, host).slice(guestSaw))).toEqual([]);
    expect(await linkedOver(host, guest, "webrtc")).toBe(true);
    await chatBothWays(host, guest, "after the lobby died");
  }, 60_000);

  test("with WebRTC off on one side the pair falls back to the relay", async () => {
    const { host, guest, joined } = await pairThroughRoom({ "network.enableWebRtc": false }, {});
    expect(joined.transport).toBe("relay");
    await waitFor(() => linkedOver(host, guest, "relay"), "a relayed link both ways", 10_000);
    // The guest's Peers pane says why the link is relayed.
    const reason = (await peerOf(guest, host))?.path_reason ?? "";
    expect(reason).toStartWith("relayed");
    // ...naming the setting that left it no better path.
    expect(reason).toContain("WebRTC is turned off in settings (network.enableWebRtc)");
    await chatBothWays(host, guest, "over the relay");
  }, 60_000);
});
