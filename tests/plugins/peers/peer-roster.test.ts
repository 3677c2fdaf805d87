import { describe, expect, test } from "bun:test";
import { removePeer, upsertPeer } from "../../../plugins/peers/peer-roster.ts";
import type { PeerRow } from "../../../protocol/network.ts";

function peer(nodeId: string, status: PeerRow["status"] = "offline"): PeerRow {
  return {
    node_id: nodeId,
    node_name: nodeId,
    public_key: "key",
    status,
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
  };
}

describe("the peer roster", () => {
  test("an update replaces the peer's row in place and a new peer is added", () => {
    const list = [peer("a"), peer("b")];
    const updated = upsertPeer(list, peer("a", "connected"));
    expect(updated.map((p) => [p.node_id, p.status])).toEqual([
      ["a", "connected"],
      ["b", "offline"],
    ]);
    expect(list[0]?.status).toBe("offline");
    expect(upsertPeer(list, peer("c")).map((p) => p.node_id)).toEqual(["a", "b", "c"]);
  });

  test("removing drops the row, and removing an unknown peer changes nothing", () => {
    const list = [peer("a"), peer("b")];
    expect(removePeer(list, "a").map((p) => p.node_id)).toEqual(["b"]);
    expect(removePeer(list, "zzz")).toBe(list);
  });
});
