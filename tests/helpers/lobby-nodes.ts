import type { ChatMessage, ChatPage } from "../../protocol/chat.ts";
import type { HostedRoom } from "../../protocol/lobby-channel.ts";
import { lobbyFeature } from "../../server/lobby/lobby-feature.ts";
import type { NodeConfig, RunningNode } from "../../server/node.ts";
import { lobbyPool } from "./lobby.ts";
import { api, eventually, nodePool, peerRow } from "./peer-nodes.ts";
import { openTab, type TestTab } from "./ws-client.ts";

/** A `/ws` frame as a test tab records it. */
export type Frame = { channel: string; event: string; data: unknown };

/** Matches a `lobby` channel frame of `event` whose data passes `match`. */
export const lobbyEvent =
  (event: string, match: (d: Record<string, unknown>) => boolean = () => true) =>
  (f: Frame) =>
    f.channel === "lobby" && f.event === event && match(f.data as Record<string, unknown>);

/** A node on a lobby, with the tab that connected it (its Lobby pane). */
export interface LobbyNode {
  node: RunningNode;
  tab: TestTab;
}

/** How a node on a lobby starts: its settings (direct links and WebRTC off unless given) and node config. */
export interface LobbyNodeOptions {
  settings?: Record<string, unknown>;
  config?: Partial<NodeConfig>;
}

/** The node's lobby status as the Lobby pane shows it. */
export function lobbyStatusOf(node: RunningNode): string {
  return node.features.get(lobbyFeature).state().status;
}

/**
 * Lobbies and nodes on them for one test file (both stopped after each test). A node starts with
 * direct links and WebRTC off, so the two ends can only meet through the lobby's relay, and is
 * connected by its own tab as a person would connect it from the Lobby pane.
 */
export function lobbyNodes() {
  const nodes = nodePool();
  const lobbies = lobbyPool();
  const onLobby = async (url: string, opts: LobbyNodeOptions = {}): Promise<LobbyNode> => {
    const node = await nodes.start(opts.config ?? {});
    // Only the relay is left unless a test turns a better path back on.
    node.settings.update({ "network.enableDirect": false, "network.enableWebRtc": false, ...opts.settings });
    const tab = await openTab(node.port);
    tab.send({ channel: "lobby", event: "connect", data: { url } });
    await eventually(() => lobbyStatusOf(node) === "connected", "registration with the lobby", 5000);
    return { node, tab };
  };
  return {
    nodes,
    lobbies,
    onLobby,
    /** Two nodes that cannot reach each other directly, both registered with one fresh lobby. */
    async twoNodesOnALobby(opts: { host?: LobbyNodeOptions; guest?: LobbyNodeOptions; url?: string } = {}) {
      const lobby = opts.url ? undefined : await lobbies.lobby();
      const url = opts.url ?? lobby!.wsUrl;
      const host = await onLobby(url, opts.host);
      const guest = await onLobby(url, opts.guest);
      return { lobby, url, host, guest };
    },
  };
}

/** The host's tab creates a room and gets it back with its id (and token, for a token room). */
export async function hostRoom(
  tab: TestTab,
  policy: "open" | "token",
  visibility: "public" | "unlisted" = "public",
): Promise<HostedRoom> {
  const before = tab.frames.filter(lobbyEvent("room_created")).length;
  tab.send({ channel: "lobby", event: "create_room", data: { name: "team", visibility, policy } });
  await tab.next(() => tab.frames.filter(lobbyEvent("room_created")).length > before, 3000);
  return (tab.frames.filter(lobbyEvent("room_created")).at(-1)!.data as { room: HostedRoom }).room;
}

/** Whether `a` lists `b` as connected over `transport` and `b` lists `a` as connected. */
export const connectedOver = (a: RunningNode, b: RunningNode, transport: string): boolean =>
  peerRow(a, b.identity.nodeId)?.status === "connected" &&
  peerRow(a, b.identity.nodeId)?.transport === transport &&
  peerRow(b, a.identity.nodeId)?.status === "connected" &&
  peerRow(b, a.identity.nodeId)?.transport === transport;

/** The guest joins the host's new token room with its token; resolves once both ends are relayed. */
export async function pairThroughTokenRoom(host: LobbyNode, guest: LobbyNode): Promise<HostedRoom> {
  const room = await hostRoom(host.tab, "token");
  guest.tab.send({ channel: "lobby", event: "join_room", data: { room_id: room.id, token: room.token } });
  await eventually(() => connectedOver(guest.node, host.node, "relay"), "a relayed link both ways", 8000);
  return room;
}

/** A conversation with `peerId` as `node` stored it, every page, oldest first. */
export async function chatHistory(node: RunningNode, peerId: string): Promise<ChatMessage[]> {
  const all: ChatMessage[] = [];
  let before: number | undefined;
  for (;;) {
    const query = before === undefined ? "limit=200" : `limit=200&before=${before}`;
    const page = await api<ChatPage>(node, "GET", `/api/chat/${peerId}/messages?${query}`);
    all.unshift(...page.body.messages);
    if (!page.body.hasMore || page.body.messages.length === 0) return all;
    before = page.body.messages[0]!.seq;
  }
}

/**
 * The texts `from` sent `to`, in the order `to` stored them, a repeat as often as it is stored:
 * what a person reading the conversation on `to` sees.
 */
export async function receivedTexts(to: RunningNode, from: RunningNode): Promise<string[]> {
  return (await chatHistory(to, from.identity.nodeId)).filter((m) => m.direction === "in").map((m) => m.text);
}
