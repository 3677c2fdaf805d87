import { describe, expect, test } from "bun:test";
import type { PeersResponse } from "../../../protocol/network.ts";
import { CLOSE } from "../../../server/fabric/links/link.ts";
import { hostRoom, lobbyEvent, lobbyNodes, pairThroughTokenRoom } from "../../helpers/lobby-nodes.ts";
import { api, eventually } from "../../helpers/peer-nodes.ts";

/**
 * A person who sets a peer's path policy to `never-relay` gets no relayed link with that peer,
 * whichever side dials: this node does not dial it over the relay, and refuses it when it comes
 * in over the relay, saying why.
 */

const setup = lobbyNodes();

async function relayedPair() {
  const { host, guest } = await setup.twoNodesOnALobby();
  const room = await pairThroughTokenRoom(host, guest);
  return { host, guest, room, hostId: host.node.identity.nodeId, guestId: guest.node.identity.nodeId };
}

describe("path policy never-relay", () => {
  test("a peer set to never-relay is neither redialed over the relay nor let in over it, and its row says so", async () => {
    const { host, guest, guestId, hostId } = await relayedPair();
    expect(host.node.fabric.peers.setPathPolicy(guestId, "never-relay")).toBe(true);
    // The relayed link drops (the lobby hiccuped); both ends' redialers take over.
    host.node.fabric.hub.session(guestId)!.close(CLOSE.goingAway, "link lost");
    await eventually(() => !guest.node.fabric.hub.session(hostId), "the guest to see the link go");
    await Bun.sleep(3000); // the first redials run after about a second

    expect(host.node.fabric.hub.session(guestId)).toBeUndefined();
    expect(guest.node.fabric.hub.session(hostId)).toBeUndefined();
    const peers = await api<PeersResponse>(host.node, "GET", "/api/network/peers");
    expect(peers.body.peers.find((p) => p.node_id === guestId)).toMatchObject({
      path_policy: "never-relay",
      status: "offline",
      trusted: true,
    });

    // Asked by hand, the guest hears why; the host has no path it may use.
    const fromGuest = await api<{ ok: boolean; error?: string }>(
      guest.node,
      "POST",
      `/api/network/peers/${hostId}/connect`,
    );
    expect(fromGuest.body).toEqual({ ok: false, error: "this node takes no relay links from you" });
    const fromHost = await api<{ ok: boolean; error?: string }>(
      host.node,
      "POST",
      `/api/network/peers/${guestId}/connect`,
    );
    expect(fromHost.body.ok).toBe(false);
    expect(host.node.fabric.hub.session(guestId)).toBeUndefined();
  }, 20_000);

  test("joining a room again does not relay to a host the guest set to never-relay", async () => {
    const { host, guest, hostId } = await relayedPair();
    expect(guest.node.fabric.peers.setPathPolicy(hostId, "never-relay")).toBe(true);
    host.node.fabric.hub.disconnect(guest.node.identity.nodeId, "disconnected by user");
    await eventually(() => !guest.node.fabric.hub.session(hostId), "the link to go");

    const room = await hostRoom(host.tab, "token");
    guest.tab.send({ channel: "lobby", event: "join_room", data: { room_id: room.id, token: room.token } });

    const failed = await guest.tab.next(
      lobbyEvent("join_progress", (d) => d.room_id === room.id && d.step === "failed"),
      8000,
    );
    expect((failed.data as { error: string }).error).toContain("never-relay");
    await Bun.sleep(500);
    expect(guest.node.fabric.hub.session(hostId)).toBeUndefined();
    expect(host.node.fabric.hub.session(guest.node.identity.nodeId)).toBeUndefined();
  }, 20_000);
});
