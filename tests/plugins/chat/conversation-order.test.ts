import { describe, expect, test } from "bun:test";
import { previewText, sortConversations } from "../../../plugins/chat/conversation-order.ts";
import type { PeerRow } from "../../../protocol/network.ts";

const peer = (node_id: string, node_name: string): PeerRow => ({
  node_id,
  node_name,
  public_key: "k",
  status: "connected",
  transport: null,
  trusted: true,
  via: "invite",
  blocked: false,
  address: null,
  last_seen: null,
  rtt_ms: null,
  path_reason: null,
  path_policy: "any",
  agent_policy: null,
  capabilities: [],
});

describe("the conversation list", () => {
  test("most recent activity first, then unread, then by name", () => {
    const peers = [peer("a", "Zed"), peer("b", "amy"), peer("c", "Bo"), peer("d", "Cy")];
    const activity: Record<string, number> = { c: 100, d: 200 };
    const unread: Record<string, number> = { a: 2 };
    const sorted = sortConversations(
      peers,
      (id) => activity[id] ?? 0,
      (id) => unread[id] ?? 0,
    );
    expect(sorted.map((p) => p.node_id)).toEqual(["d", "c", "a", "b"]);
  });

  test("previews fit one line and say who wrote them", () => {
    expect(previewText("hello\n  there", "in")).toBe("hello there");
    expect(previewText("ok", "out")).toBe("You: ok");
  });
});
