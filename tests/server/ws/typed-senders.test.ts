import { describe, expect, test } from "bun:test";
import { silentLogger } from "../../../server/log.ts";
import { BrowserHub, type BrowserSocket, channelSender } from "../../../server/ws/browser-hub.ts";

/** A tab that keeps what it is sent. */
function tab(): BrowserSocket & { got: unknown[] } {
  const got: unknown[] = [];
  return { got, send: (text) => got.push(JSON.parse(text)), close() {} };
}

/** A misspelt channel, event, data field or peer type: see typed-senders.typecheck.ts. */
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
});
