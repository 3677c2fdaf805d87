import { describe, expect, test } from "bun:test";
import type { PeerHub } from "../../../server/fabric/peer-hub.ts";
import { silentLogger } from "../../../server/log.ts";
import { BrowserHub, type BrowserSocket, channelSender } from "../../../server/ws/browser-hub.ts";

/** A tab that keeps what it is sent. */
function tab(): BrowserSocket & { got: unknown[] } {
  const got: unknown[] = [];
  return { got, send: (text) => got.push(JSON.parse(text)), close() {} };
}

describe("typed senders", () => {
  test("a channel sender writes the channel's frame with the event and data it was given", () => {
    const hub = new BrowserHub(silentLogger);
    const socket = tab();
    hub.open(socket);
    channelSender(hub, "network").send(socket, "peer_removed", { nodeId: "abc" });
    channelSender(hub, "notices").broadcast("changed", { unread: 2 });
    expect(socket.got).toEqual([
      { channel: "network", event: "peer_removed", data: { nodeId: "abc" } },
      { channel: "notices", event: "changed", data: { unread: 2 } },
    ]);
  });

  test("a misspelt channel, event, data field or peer type does not compile", () => {
    // Checked by `bun run typecheck`: each line below must be a type error, or tsc fails on the
    // unused directive. The function is never called.
    const neverRun = (hub: BrowserHub, peers: PeerHub, socket: BrowserSocket) => {
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
    };
    expect(typeof neverRun).toBe("function");
  });
});
