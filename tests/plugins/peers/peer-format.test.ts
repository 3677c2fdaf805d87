import { describe, expect, test } from "bun:test";
import {
  pathNote,
  sortPeers,
  transportLabel,
  viaDetail,
  viaLabel,
} from "../../../plugins/peers/peer-format.ts";
import { formatExpiry, shortId, toMillis } from "../../../plugins/sdk/invites.ts";
import { formatLastSeen, formatRtt, statusLabel } from "../../../plugins/sdk/peer-format.ts";
import type { PeerRow } from "../../../protocol/network.ts";

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
const MIN = 60_000;
const HOUR = 60 * MIN;

function peer(over: Partial<PeerRow>): PeerRow {
  return {
    node_id: "aaaaaaaaaaaaaaaa",
    node_name: "node",
    public_key: "key",
    status: "offline",
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
    ...over,
  };
}

describe("peer formatting", () => {
  test("last seen reads as a rough age, never as a timestamp", () => {
    expect(formatLastSeen(null, NOW)).toBe("never");
    expect(formatLastSeen(NOW - 5000, NOW)).toBe("just now");
    expect(formatLastSeen(NOW + 5000, NOW)).toBe("just now");
    expect(formatLastSeen(NOW - 3 * MIN - 10_000, NOW)).toBe("3 min ago");
    expect(formatLastSeen(NOW - 59 * MIN, NOW)).toBe("59 min ago");
    expect(formatLastSeen(NOW - 2 * HOUR, NOW)).toBe("2 h ago");
    expect(formatLastSeen(NOW - 50 * HOUR, NOW)).toBe("2 d ago");
  });

  test("timestamps in seconds are read as the same moment as in milliseconds", () => {
    expect(toMillis(NOW)).toBe(NOW);
    expect(toMillis(NOW / 1000)).toBe(NOW);
    expect(formatLastSeen(Math.floor((NOW - 3 * MIN) / 1000), NOW)).toBe("3 min ago");
  });

  test("round-trip time keeps one decimal while small and shows a dash when unknown", () => {
    expect(formatRtt(12.34)).toBe("12.3 ms");
    expect(formatRtt(0.4)).toBe("0.4 ms");
    expect(formatRtt(148.6)).toBe("149 ms");
    expect(formatRtt(null)).toBe("—");
    expect(formatRtt(Number.NaN)).toBe("—");
  });

  test("an invite's expiry counts down in whole minutes, rounded down", () => {
    expect(formatExpiry(NOW + 24 * HOUR - 1, NOW)).toBe("expires in 23 h 59 min");
    expect(formatExpiry(NOW + 24 * HOUR, NOW)).toBe("expires in 1 d 0 h");
    expect(formatExpiry(NOW + HOUR + 30 * MIN, NOW)).toBe("expires in 1 h 30 min");
    expect(formatExpiry(NOW + 5 * MIN + 59_000, NOW)).toBe("expires in 5 min");
    expect(formatExpiry(NOW + 30_000, NOW)).toBe("expires in under a minute");
    expect(formatExpiry(NOW, NOW)).toBe("expired");
    expect(formatExpiry(NOW - HOUR, NOW)).toBe("expired");
  });

  test("statuses have short labels", () => {
    expect(statusLabel("connected")).toBe("Connected");
    expect(statusLabel("connecting")).toBe("Connecting…");
    expect(statusLabel("offline")).toBe("Offline");
  });

  test("how a peer was paired reads as who invited whom, never as a raw wire value", () => {
    expect(viaLabel("invite")).toBe("You invited them");
    expect(viaLabel("dialed")).toBe("They invited you");
    expect(viaLabel("open-lan")).toBe("Joined over your LAN");
    expect(viaLabel("directory")).toBe("Met in a lobby room");
    expect(viaDetail("invite")).toBe("They redeemed an invite this node made.");
    expect(viaDetail("dialed")).toContain("the invite they sent or their address");
  });

  test("transports have plain names, and no link says so", () => {
    expect(transportLabel("direct")).toBe("Direct");
    expect(transportLabel("relay")).toBe("Relayed");
    expect(transportLabel("webrtc")).toBe("Peer-to-peer");
    expect(transportLabel(null)).toBe("No link");
    expect(transportLabel("carrier-pigeon")).toBe("Carrier-pigeon");
  });

  test("node ids shorten to their first half", () => {
    expect(shortId("abcdefghijklmnop")).toBe("abcdefgh");
    expect(shortId("abc")).toBe("abc");
  });

  test("live peers come first, blocked ones last, then by name, without touching the input", () => {
    const input = [
      peer({ node_id: "1", node_name: "zed", status: "connected", blocked: true }),
      peer({ node_id: "2", node_name: "bob", status: "offline" }),
      peer({ node_id: "3", node_name: "Carol", status: "connecting" }),
      peer({ node_id: "4", node_name: "dave", status: "connected" }),
      peer({ node_id: "5", node_name: "alice", status: "offline" }),
      peer({ node_id: "6", node_name: "Alice", status: "offline" }),
    ];
    const before = input.map((p) => p.node_id);
    expect(sortPeers(input).map((p) => p.node_id)).toEqual(["4", "3", "5", "6", "2", "1"]);
    expect(input.map((p) => p.node_id)).toEqual(before);
  });
});

describe("the path note", () => {
  test("says why a link is relayed, without repeating the word", () => {
    expect(pathNote({ transport: "relay", path_reason: "relayed: no direct path answered within 3 s" })).toBe(
      "no direct path answered within 3 s",
    );
  });

  test("says nothing for a direct link or an unknown reason", () => {
    expect(pathNote({ transport: "direct", path_reason: "direct" })).toBeNull();
    expect(pathNote({ transport: "relay", path_reason: null })).toBeNull();
    expect(pathNote({ transport: "webrtc", path_reason: "webrtc: host 10.0.0.2 -> srflx 203.0.113.7" })).toBe(
      "host 10.0.0.2 -> srflx 203.0.113.7",
    );
    expect(pathNote({ transport: "webrtc", path_reason: "webrtc" })).toBeNull();
  });
});
