/**
 * Checked by `bun run typecheck`, never run: every line under a `@ts-expect-error` must be a type
 * error, or tsc fails on the unused directive. It holds the senders to the tables in
 * protocol/channels.ts and protocol/peer-messages.ts.
 */
import type { PeerHub } from "../../../server/fabric/peer-hub.ts";
import { type BrowserHub, type BrowserSocket, channelSender } from "../../../server/ws/browser-hub.ts";

export function misspelt(hub: BrowserHub, peers: PeerHub, socket: BrowserSocket): void {
  // @ts-expect-error no such channel
  channelSender(hub, "chatt");
  // @ts-expect-error no such event on the chat channel
  channelSender(hub, "chat").send(socket, "histroy", { nodeId: "x" });
  // @ts-expect-error peer_removed carries nodeId
  channelSender(hub, "network").broadcast("peer_removed", { node: "x" });
  // @ts-expect-error the welcome frame has its own shape
  hub.broadcast({ channel: "system", event: "welcome", data: {} });
  // @ts-expect-error no such peer message type
  peers.send("abc", "chat_mesage", { id: "x", text: "hi", ts: 1 });
  // @ts-expect-error chat_message needs its text
  peers.send("abc", "chat_message", { id: "x", ts: 1 });
}
