import { describe, expect, test } from "bun:test";
import { roomView } from "../../../plugins/scratch/room-status.ts";
import {
  countChars,
  presenceChips,
  shareCandidates,
  shareLabel,
} from "../../../plugins/scratch/share-model.ts";
import type { CollabMember } from "../../../protocol/collab.ts";
import type { PeerRow } from "../../../protocol/network.ts";

function peer(node_id: string, node_name: string, overrides: Partial<PeerRow> = {}): PeerRow {
  return {
    node_id,
    node_name,
    public_key: "k",
    status: "connected",
    transport: "ws",
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
    ...overrides,
  };
}

describe("who the share menu offers", () => {
  test("connected trusted peers, sorted by name, marked when shared", () => {
    const peers = [peer("bbbbbbbbbbbbbbbb", "bob"), peer("aaaaaaaaaaaaaaaa", "Alice")];
    expect(shareCandidates(peers, ["bbbbbbbbbbbbbbbb"])).toEqual([
      { nodeId: "aaaaaaaaaaaaaaaa", name: "Alice", connected: true, shared: false },
      { nodeId: "bbbbbbbbbbbbbbbb", name: "bob", connected: true, shared: true },
    ]);
  });

  test("offline, blocked and untrusted peers only when already shared, so they can be unshared", () => {
    const peers = [
      peer("cccccccccccccccc", "carol", { status: "offline" }),
      peer("dddddddddddddddd", "dave", { blocked: true }),
      peer("eeeeeeeeeeeeeeee", "eve", { trusted: false }),
    ];
    expect(shareCandidates(peers, [])).toEqual([]);
    const listed = shareCandidates(peers, ["cccccccccccccccc", "zzzzzzzzzzzzzzzz"]);
    expect(listed.map((c) => [c.name, c.connected, c.shared])).toEqual([
      ["carol", false, true],
      ["zzzzzzzz", false, true],
    ]);
  });

  test("the toggle's label names who it is shared with", () => {
    const peers = [peer("bbbbbbbbbbbbbbbb", "bob"), peer("cccccccccccccccc", "carol")];
    expect(shareLabel([], peers)).toBe("Share");
    expect(shareLabel(["bbbbbbbbbbbbbbbb"], peers)).toBe("Shared with bob");
    expect(shareLabel(["bbbbbbbbbbbbbbbb", "cccccccccccccccc"], peers)).toBe("Shared with bob and carol");
    expect(shareLabel(["a", "b", "c"], peers)).toBe("Shared with 3 peers");
  });
});

describe("presence and counts", () => {
  test("this tab first as You, other tabs of a node grouped", () => {
    const members: CollabMember[] = [
      { id: "tab-1", name: "alice", kind: "tab", self: false },
      { id: "bob", name: "bob", kind: "node", self: false },
      { id: "tab-2", name: "alice", kind: "tab", self: true },
      { id: "tab-3", name: "alice", kind: "tab", self: false },
    ];
    expect(presenceChips(members).map((c) => [c.label, c.count])).toEqual([
      ["You", 1],
      ["alice", 2],
      ["bob", 1],
    ]);
  });

  test("an emoji counts as one character", () => {
    expect(countChars("")).toBe(0);
    expect(countChars("abc")).toBe(3);
    expect(countChars("a😀b")).toBe(3);
  });

  test("the status reads reconnecting only after the room was live", () => {
    expect(roomView("joining", false, null)).toBe("joining");
    expect(roomView("joining", true, null)).toBe("reconnecting");
    expect(roomView("joining", false, "no pane")).toBe("unavailable");
    expect(roomView("offline", true, null)).toBe("offline");
    expect(roomView("live", true, "old error")).toBe("live");
    expect(roomView("live", true, null, "owner", false)).toBe("private");
    expect(roomView("live", true, null, "guest", false)).toBe("live");
    // A room whose owner stopped sharing never says Live again, whatever the link does.
    expect(roomView("live", true, null, "revoked", false)).toBe("readonly");
    expect(roomView("offline", true, null, "revoked")).toBe("readonly");
  });
});
