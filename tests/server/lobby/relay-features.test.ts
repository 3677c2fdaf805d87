import { describe, expect, test } from "bun:test";
import type { PeerMetrics, PeerRow, PeersResponse } from "../../../protocol/network.ts";
import { chatTab } from "../../helpers/chat-tab.ts";
import { collabTab } from "../../helpers/collab-tab.ts";
import { startTestLobby } from "../../helpers/lobby.ts";
import {
  connectedOver,
  lobbyNodes,
  lobbyStatusOf,
  pairThroughTokenRoom,
  receivedTexts,
} from "../../helpers/lobby-nodes.ts";
import { api, eventually } from "../../helpers/peer-nodes.ts";
import { openTab } from "../../helpers/ws-client.ts";

/**
 * What two people notice of a link through the lobby: the features they use over a direct link
 * work the same when the only path is the relay (both nodes have direct links off).
 */

const setup = lobbyNodes();
const ROOM = "scratch:main";

describe("features over a relayed link", () => {
  test("a shared Scratch syncs both ways over the relay", async () => {
    const { host, guest } = await setup.twoNodesOnALobby();
    await pairThroughTokenRoom(host, guest);
    const owner = await collabTab(host.node.port, ROOM);
    owner.insert(0, "from the host");
    owner.share(guest.node.identity.nodeId);
    const address = `${ROOM}@${host.node.identity.nodeId}`;
    await eventually(() => guest.node.collab.room(address) !== undefined, "the share to arrive", 5000);

    const opened = await collabTab(guest.node.port, address);
    await eventually(() => opened.text() === "from the host", "the guest to see the host's text", 5000);
    opened.insert(opened.text().length, ", and the guest");
    await eventually(
      () => owner.text() === "from the host, and the guest",
      "the host to see the guest's edit",
      5000,
    );
    owner.insert(0, "> ");
    await eventually(
      () => opened.text() === "> from the host, and the guest",
      "the guest to see the host's next edit",
      5000,
    );
  }, 20_000);

  test("the Monitor lists the relayed peer with a measured round trip and traffic", async () => {
    const { host, guest } = await setup.twoNodesOnALobby();
    await pairThroughTokenRoom(host, guest);
    const rowOf = async (): Promise<PeerRow | undefined> => {
      const res = await api<PeersResponse>(guest.node, "GET", "/api/network/peers");
      return res.body.peers.find((p) => p.node_id === host.node.identity.nodeId);
    };
    let row = await rowOf();
    expect(row?.transport).toBe("relay");
    expect(row?.status).toBe("connected");
    const deadline = Date.now() + 5000;
    while (typeof row?.rtt_ms !== "number" && Date.now() < deadline) {
      await Bun.sleep(50);
      row = await rowOf();
    }
    expect(typeof row?.rtt_ms).toBe("number");
    expect(row!.rtt_ms!).toBeGreaterThanOrEqual(0);
    expect(row!.path_reason).toMatch(/^relayed: /);

    const monitor = await openTab(guest.node.port);
    monitor.send({ channel: "network", event: "list_metrics", data: {} });
    const frame = await monitor.next((f) => f.channel === "network" && f.event === "peer_metrics", 3000);
    const metrics = (frame.data as { metrics: PeerMetrics[] }).metrics;
    const peer = metrics.find((m) => m.node_id === host.node.identity.nodeId);
    expect(peer).toMatchObject({ transport: "relay", status: "connected" });
    expect(typeof peer!.rtt_ms).toBe("number");
    expect(peer!.bytes_in).toBeGreaterThan(0);
    expect(peer!.bytes_out).toBeGreaterThan(0);
    expect(peer!.msgs_in).toBeGreaterThan(0);
  }, 20_000);

  test("200 chat messages each way arrive exactly once and in order over the relay", async () => {
    const { host, guest } = await setup.twoNodesOnALobby();
    await pairThroughTokenRoom(host, guest);
    const hostId = host.node.identity.nodeId;
    const guestId = guest.node.identity.nodeId;
    const a = await chatTab(guest.node.port);
    const b = await chatTab(host.node.port);
    const N = 200;
    const fromGuest = Array.from({ length: N }, (_, i) => `guest says ${i}`);
    const fromHost = Array.from({ length: N }, (_, i) => `host says ${i}`);
    // Both type at once, interleaved, so the relay carries traffic both ways at the same time.
    for (let i = 0; i < N; i++) {
      a.send(hostId, fromGuest[i]!);
      b.send(guestId, fromHost[i]!);
    }
    await eventually(
      () =>
        host.node.chat.page(guestId, 200).messages.filter((m) => m.direction === "in").length >= N &&
        guest.node.chat.page(hostId, 200).messages.filter((m) => m.direction === "in").length >= N,
      "every message to arrive",
      15_000,
    );
    await Bun.sleep(300); // a duplicate would arrive right behind the last message
    expect(await receivedTexts(host.node, guest.node)).toEqual(fromGuest);
    expect(await receivedTexts(guest.node, host.node)).toEqual(fromHost);
    expect(a.errors()).toEqual([]);
    expect(b.errors()).toEqual([]);
  }, 30_000);

  test("after a long lobby outage the relayed pair relinks as soon as both are back on the lobby", async () => {
    const lobby = await startTestLobby();
    const { host, guest } = await setup.twoNodesOnALobby({ url: lobby.wsUrl });
    await pairThroughTokenRoom(host, guest);
    await lobby.stop();
    // Long enough for the redialers' backoff to grow past several seconds.
    await Bun.sleep(8000);
    const again = await startTestLobby({ port: lobby.port, identity: lobby.identity });
    try {
      await eventually(
        () => lobbyStatusOf(host.node) === "connected" && lobbyStatusOf(guest.node) === "connected",
        "both nodes to register again",
        30_000,
      );
      await eventually(
        () => connectedOver(host.node, guest.node, "relay"),
        "the relayed link right after both registered",
        1500,
      );
    } finally {
      await again.stop();
    }
  }, 60_000);
});
