import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { ChatPage } from "../../../protocol/chat.ts";
import type { RoomListing } from "../../../protocol/collab.ts";
import type { HostedRoom, LobbyState } from "../../../protocol/lobby-channel.ts";
import type { PeerRow, PeersResponse } from "../../../protocol/network.ts";
import { callNode, lonelyBinary, type RunningBinary, startBinary } from "../../helpers/binary.ts";
import { waitFor } from "../../helpers/browser.ts";
import { chatTab } from "../../helpers/chat-tab.ts";
import { type CollabTab, collabTab } from "../../helpers/collab-tab.ts";
import { type LobbyBinary, startLobbyBinary } from "../../helpers/lobby-binary.ts";
import { lobbyEvent } from "../../helpers/lobby-nodes.ts";
import { tempDir } from "../../helpers/temp-dir.ts";
import { openTab, type TestTab } from "../../helpers/ws-client.ts";

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
async function startNode(role: "host" | "guest", lobbyUrl: string, settings: Record<string, unknown>) {
  const copy = copies[role];
  expect(readdirSync(copy.dir)).toEqual(["weft"]);
  const dataDir = join(tempDir(`weft-${role}-data-`), "data");
  const run = await startBinary(
    copy.bin,
    ["--data-dir", dataDir, "--port", "0", "--host", "127.0.0.1", "--no-open", "--name", role],
    copy.dir,
  );
  nodes.push(run);
  const log = { text: "" };
  void run.proc.stderr
    .pipeTo(
      new WritableStream({
        write(chunk) {
          log.text += new TextDecoder().decode(chunk);
        },
      }),
    )
    .catch(() => {});
  await callNode(run, "PUT", "/api/settings", {
    "network.lobbyUrl": lobbyUrl,
    "network.enableDirect": false,
    ...settings,
  });
  const { node_id } = await callNode<{ node_id: string }>(run, "GET", "/api/network/identity");
  const tab = await openTab(run.port);
  tabs.push(tab);
  return { run, nodeId: node_id, tab, log };
}
type Node = Awaited<ReturnType<typeof startNode>>;

/** Waits until the node's Lobby pane, asked afresh, says it is registered. */
async function registered(node: Node): Promise<void> {
  const state = async () => {
    const tab = await openTab(node.run.port);
    try {
      tab.send({ channel: "lobby", event: "state", data: {} });
      return (await tab.next(lobbyEvent("state"), 3000)).data as LobbyState;
    } finally {
      tab.close();
    }
  };
  await waitFor(async () => (await state()).status === "connected", "registration with the lobby", 10_000);
}

async function peerOf(node: Node, peer: Node): Promise<PeerRow | undefined> {
  const list = await callNode<PeersResponse>(node.run, "GET", "/api/network/peers");
  return list.peers.find((p) => p.node_id === peer.nodeId);
}

async function linkedOver(a: Node, b: Node, transport: string): Promise<boolean> {
  const [ab, ba] = [await peerOf(a, b), await peerOf(b, a)];
  return (
    ab?.status === "connected" &&
    ab.transport === transport &&
    ba?.status === "connected" &&
    ba.transport === transport
  );
}

async function received(node: Node, from: Node, text: string): Promise<number> {
  const page = await callNode<ChatPage>(node.run, "GET", `/api/chat/${from.nodeId}/messages?limit=200`);
  return page.messages.filter((m) => m.direction === "in" && m.text === text).length;
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
  host.tab.send({
    channel: "lobby",
    event: "create_room",
    data: { name: "team", visibility: "unlisted", policy: "token" },
  });
  const room = ((await host.tab.next(lobbyEvent("room_created"), 10_000)).data as { room: HostedRoom }).room;
  guest.tab.send({ channel: "lobby", event: "join_room", data: { room_id: room.id, token: room.token } });
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

/** Waits until `tab`'s Scratch pane lists the room `address` (a share that arrived). */
async function listed(tab: TestTab, address: string): Promise<void> {
  const lists = () => tab.frames.filter((f) => f.channel === "collab" && f.event === "rooms");
  tab.send({ channel: "collab", event: "rooms", data: { paneId: "scratch" } });
  await waitFor(
    async () =>
      lists().some((f) => (f.data as { rooms: RoomListing[] }).rooms.some((r) => r.paneKey === address)),
    `the room ${address} to be listed`,
    10_000,
  );
}

/** Every row the node's Peers pane was pushed for `peer`, as `status/transport`. */
function rowsPushed(node: Node, peer: Node): string[] {
  return node.tab.frames
    .filter((f) => f.channel === "network" && f.event === "peer_update")
    .map((f) => (f.data as { peer: PeerRow }).peer)
    .filter((p) => p.node_id === peer.nodeId)
    .map((p) => `${p.status}/${p.transport}`);
}

const sameText = async (a: CollabTab, b: CollabTab, text: string) => a.text() === text && b.text() === text;

describe("compiled nodes alone in their folders, over WebRTC", () => {
  test("two compiled nodes alone in their folders link over WebRTC through a compiled lobby, with the relay off", async () => {
    const off = { "network.enableRelay": false };
    const { host, guest, joined } = await pairThroughRoom(off);
    expect(joined.transport).toBe("webrtc");
    await waitFor(() => linkedOver(host, guest, "webrtc"), "a WebRTC link both ways", 10_000);
    // The row names the transport first, then the candidates ICE chose.
    expect((await peerOf(guest, host))?.path_reason).toStartWith("webrtc");

    await chatBothWays(host, guest, "over WebRTC");

    const hostNote = await collabTab(host.run.port, "scratch:main");
    tabs.push(hostNote);
    hostNote.insert(0, "plan");
    hostNote.share(guest.nodeId);
    const address = `scratch:main@${host.nodeId}`;
    await listed(guest.tab, address);
    const guestNote = await collabTab(guest.run.port, address);
    tabs.push(guestNote);
    await waitFor(async () => guestNote.text() === "plan", "the guest to see the host's note", 10_000);
    guestNote.insert(4, ": ship it");
    await waitFor(
      () => sameText(hostNote, guestNote, "plan: ship it"),
      "the guest's edit at the host",
      10_000,
    );
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
