import { join } from "node:path";
import type { ChatPage } from "../../protocol/chat.ts";
import type { RoomListing } from "../../protocol/collab.ts";
import type { HostedRoom, LobbyState } from "../../protocol/lobby-channel.ts";
import type { PeerRow, PeersResponse } from "../../protocol/network.ts";
import { callNode, type RunningBinary, startBinary } from "./binary.ts";
import { waitFor } from "./browser.ts";
import { type CollabTab, collabTab } from "./collab-tab.ts";
import { lobbyEvent } from "./lobby-nodes.ts";
import { tempDir } from "./temp-dir.ts";
import { openTab, type TestTab } from "./ws-client.ts";

/**
 * Compiled nodes on a compiled lobby (see `lobby-binary.ts`), driven as people drive them: REST
 * calls and `/ws` tabs.
 */

/** A compiled node on a lobby, with the tab it was given at start (its Lobby pane). */
export interface LobbyBinaryNode {
  run: RunningBinary;
  nodeId: string;
  tab: TestTab;
  /** Its stderr so far when started with `keepLog`, else empty. */
  log: { text: string };
}

/** How a compiled node on a lobby starts. */
export interface LobbyBinaryNodeOptions {
  bin: string;
  /** Its `--name`. */
  name: string;
  /** Its `network.lobbyUrl`: one lobby address, or several separated by commas. */
  lobbyUrl: string;
  /** The other settings, sent after `network.lobbyUrl` in the same `PUT /api/settings`. */
  settings: Record<string, unknown>;
  /** The folder it starts in; default a fresh `weft-<name>-` folder. */
  folder?: string;
  /** Its `--data-dir`; default `data` inside `folder`. */
  dataDir?: string;
  /** Keeps its stderr in `log.text`, so a failure can say why a link did not come up. */
  keepLog?: boolean;
  /**
   * Where the test keeps what its teardown ends: the node as soon as it listens, its tab once open,
   * so neither outlives the test when a later step throws.
   */
  keep: { nodes: RunningBinary[]; tabs: Array<{ close(): void }> };
  /**
   * Where it runs, when not on loopback and a free port here: a command the binary's argv is put
   * after (e.g. `ip netns exec NS`), the `--host`, the `--port` (tests/net/ gives a namespaced
   * node all interfaces and the port of its loopback bridge) and more flags.
   */
  launch?: { prefix: string[]; host: string; port: number; args?: string[] };
}

/**
 * Starts a compiled node on loopback and a free port with `--no-open` (or as `launch` says), sets
 * its lobby address and `settings` over REST, and opens one tab on it.
 */
export async function startLobbyBinaryNode(opts: LobbyBinaryNodeOptions): Promise<LobbyBinaryNode> {
  const folder = opts.folder ?? tempDir(`weft-${opts.name}-`);
  const dataDir = opts.dataDir ?? join(folder, "data");
  const { prefix = [], host = "127.0.0.1", port = 0, args: more = [] } = opts.launch ?? {};
  const args = [
    "--data-dir",
    dataDir,
    "--port",
    String(port),
    "--host",
    host,
    "--no-open",
    "--name",
    opts.name,
    ...more,
  ];
  const [command, ...before] = [...prefix, opts.bin];
  const run = await startBinary(command!, [...before, ...args], folder);
  opts.keep.nodes.push(run);
  const log = { text: "" };
  if (opts.keepLog) {
    void run.proc.stderr
      .pipeTo(
        new WritableStream({
          write(chunk) {
            log.text += new TextDecoder().decode(chunk);
          },
        }),
      )
      .catch(() => {});
  }
  await callNode(run, "PUT", "/api/settings", { "network.lobbyUrl": opts.lobbyUrl, ...opts.settings });
  const { node_id } = await callNode<{ node_id: string }>(run, "GET", "/api/network/identity");
  const tab = await openTab(run.port);
  opts.keep.tabs.push(tab);
  return { run, nodeId: node_id, tab, log };
}

/** The node's lobby state as a fresh tab of its Lobby pane gets it. */
export async function lobbyState(node: LobbyBinaryNode): Promise<LobbyState> {
  const tab = await openTab(node.run.port);
  try {
    tab.send({ channel: "lobby", event: "state", data: {} });
    return (await tab.next(lobbyEvent("state"), 3000)).data as LobbyState;
  } finally {
    tab.close();
  }
}

/** The host's Lobby pane makes a room named "team" that takes a token; resolves with it once made. */
export async function createTokenRoom(
  host: LobbyBinaryNode,
  visibility: "public" | "unlisted",
  ms: number,
): Promise<HostedRoom> {
  host.tab.send({
    channel: "lobby",
    event: "create_room",
    data: { name: "team", visibility, policy: "token" },
  });
  return ((await host.tab.next(lobbyEvent("room_created"), ms)).data as { room: HostedRoom }).room;
}

/** The guest's Lobby pane asks to join `room` with its token (the answer comes as `join_progress`). */
export function joinWithToken(guest: LobbyBinaryNode, room: HostedRoom): void {
  guest.tab.send({ channel: "lobby", event: "join_room", data: { room_id: room.id, token: room.token } });
}

/** The row `node`'s Peers pane has for `peer`, if any. */
export async function peerOf(node: LobbyBinaryNode, peer: LobbyBinaryNode): Promise<PeerRow | undefined> {
  const list = await callNode<PeersResponse>(node.run, "GET", "/api/network/peers");
  return list.peers.find((p) => p.node_id === peer.nodeId);
}

/** Whether each of `a` and `b` lists the other as connected over `transport`. */
export async function linkedOver(
  a: LobbyBinaryNode,
  b: LobbyBinaryNode,
  transport: string,
): Promise<boolean> {
  const [ab, ba] = [await peerOf(a, b), await peerOf(b, a)];
  return (
    ab?.status === "connected" &&
    ab.transport === transport &&
    ba?.status === "connected" &&
    ba.transport === transport
  );
}

/** How often `node` stored `text` as received from `from`. */
export async function received(node: LobbyBinaryNode, from: LobbyBinaryNode, text: string): Promise<number> {
  const page = await callNode<ChatPage>(node.run, "GET", `/api/chat/${from.nodeId}/messages?limit=200`);
  return page.messages.filter((m) => m.direction === "in" && m.text === text).length;
}

/** Whether the Lobby pane in `tab`, asking its lobby now, is shown the public room `roomId`. */
export async function listsRoom(tab: TestTab, roomId: string): Promise<boolean> {
  const lists = () => tab.frames.filter(lobbyEvent("rooms"));
  const before = lists().length;
  tab.send({ channel: "lobby", event: "list_rooms", data: {} });
  await tab.next(() => lists().length > before, 3000);
  return (lists().at(-1)!.data as { rooms: Array<{ id: string }> }).rooms.some((r) => r.id === roomId);
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

/** Whether both tabs show `text`. */
export async function sameText(a: CollabTab, b: CollabTab, text: string): Promise<boolean> {
  return a.text() === text && b.text() === text;
}

/**
 * The host writes "plan" in its Scratch and shares it with the guest; the guest opens the share,
 * sees "plan" and appends ": ship it", which the host then sees. Both tabs go into `tabs`.
 */
export async function shareScratch(
  host: LobbyBinaryNode,
  guest: LobbyBinaryNode,
  tabs: Array<{ close(): void }>,
): Promise<{ hostNote: CollabTab; guestNote: CollabTab }> {
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
  await waitFor(() => sameText(hostNote, guestNote, "plan: ship it"), "the guest's edit at the host", 10_000);
  return { hostNote, guestNote };
}
