import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { LobbyPeer } from "../helpers/lobby-peer.ts";
import { lobbyHarness } from "./lobby-harness.ts";

const h = lobbyHarness();
const HOST_ADDRESS = "ws://203.0.113.5:7420/peer-ws";
const GUEST_ADDRESS = "ws://203.0.113.9:7420/peer-ws";

type Visibility = "public" | "unlisted";
type Policy = "open" | "token";

async function createRoom(
  host: LobbyPeer,
  name: string,
  visibility: Visibility = "public",
  policy: Policy = "open",
) {
  host.send({ type: "create_room", name, visibility, policy });
  return host.next("room_created");
}

describe("rooms in the lobby", () => {
  test("list_rooms shows public rooms and not unlisted ones, with host and member count", async () => {
    const lobby = await h.lobby();
    const host = await h.node(lobby, { name: "Host" });
    const open = await createRoom(host, "Open house");
    const hidden = await createRoom(host, "Back room", "unlisted");
    expect(open.token).toBeUndefined();
    const other = await h.node(lobby);
    expect(other.registeredFrame.rooms.map((r) => r.id)).toEqual([open.room.id]);
    other.send({ type: "list_rooms" });
    const { rooms } = await other.next("rooms");
    expect(rooms).toEqual([
      {
        id: open.room.id,
        name: "Open house",
        host: host.id,
        host_name: "Host",
        members: 1,
        policy: "open",
        visibility: "public",
      },
    ]);
    expect(rooms.some((r) => r.id === hidden.room.id)).toBe(false);
    expect(lobby.health().rooms).toBe(2);
  });

  test("joining an open room tells the guest where the host is and the host who is coming", async () => {
    const lobby = await h.lobby();
    const host = await h.node(lobby, { name: "Host", addresses: [HOST_ADDRESS] });
    const guest = await h.node(lobby, { name: "Guest", addresses: [GUEST_ADDRESS] });
    const { room } = await createRoom(host, "Open house", "unlisted");
    guest.send({ type: "join_room", room_id: room.id });
    const info = await guest.next("room_info");
    expect(info.host).toEqual({
      node_id: host.id,
      node_name: "Host",
      public_key: host.identity.publicKeyBase64,
      addresses: [HOST_ADDRESS],
    });
    expect(info.room.members).toBe(2);
    const joining = await host.next("peer_joining");
    expect(joining).toEqual({
      type: "peer_joining",
      room_id: room.id,
      guest: {
        node_id: guest.id,
        node_name: "Guest",
        public_key: guest.identity.publicKeyBase64,
        addresses: [GUEST_ADDRESS],
      },
    });
  });

  test("a token room refuses a guest without its token or with a wrong one, and admits the right one", async () => {
    const lobby = await h.lobby();
    const host = await h.node(lobby);
    const guest = await h.node(lobby);
    const created = await createRoom(host, "Members only", "public", "token");
    expect(created.token).toMatch(/^[A-Za-z0-9_-]{22}$/);
    guest.send({ type: "join_room", room_id: created.room.id });
    expect(await guest.next("error")).toMatchObject({ code: "denied", re: "join_room" });
    guest.send({ type: "join_room", room_id: created.room.id, token: "A".repeat(22) });
    expect((await guest.next("error")).code).toBe("denied");
    expect(host.pending("peer_joining")).toEqual([]);
    guest.send({ type: "join_room", room_id: created.room.id, token: created.token });
    expect((await guest.next("room_info")).room.id).toBe(created.room.id);
    await host.next("peer_joining");
  });

  test("joining a room that does not exist is no_room", async () => {
    const lobby = await h.lobby();
    const guest = await h.node(lobby);
    guest.send({ type: "join_room", room_id: "0".repeat(32) });
    expect((await guest.next("error")).code).toBe("no_room");
  });

  test("the host leaving closes the room for its guests; a guest leaving is told to the host", async () => {
    const lobby = await h.lobby();
    const host = await h.node(lobby);
    const stays = await h.node(lobby);
    const leaves = await h.node(lobby);
    const { room } = await createRoom(host, "Short-lived");
    for (const g of [stays, leaves]) {
      g.send({ type: "join_room", room_id: room.id });
      await g.next("room_info");
      await host.next("peer_joining");
    }
    leaves.send({ type: "leave_room", room_id: room.id });
    expect(await host.next("peer_left")).toEqual({ type: "peer_left", room_id: room.id, node_id: leaves.id });
    host.send({ type: "leave_room", room_id: room.id });
    expect((await stays.next("room_closed")).room_id).toBe(room.id);
    expect(await leaves.gets("room_closed", 200)).toBe(false);
    expect(lobby.health().rooms).toBe(0);
  });

  test("a guest that leaves the lobby is told to the host as having left", async () => {
    const lobby = await h.lobby();
    const host = await h.node(lobby);
    const guest = await h.node(lobby);
    const { room } = await createRoom(host, "Room");
    guest.send({ type: "join_room", room_id: room.id });
    await guest.next("room_info");
    guest.close();
    expect(await host.next("peer_left")).toEqual({ type: "peer_left", room_id: room.id, node_id: guest.id });
  });

  test("a host that stays away past its grace closes its rooms; one back within it keeps them", async () => {
    const lobby = await h.lobby({ hostGraceMs: 300 });
    const hostPeer = await h.node(lobby);
    const guest = await h.node(lobby);
    const kept = await createRoom(hostPeer, "Kept");
    guest.send({ type: "join_room", room_id: kept.room.id });
    await guest.next("room_info");
    hostPeer.close();
    await hostPeer.waitClose();
    await Bun.sleep(50);
    // Away: its room is not listed and cannot be joined, but it is not closed yet.
    guest.send({ type: "list_rooms" });
    expect((await guest.next("rooms")).rooms).toEqual([]);
    const back = h.track(await LobbyPeer.connect(lobby.wsUrl, hostPeer.identity));
    const registered = await back.register();
    expect(registered.rooms.map((r) => r.id)).toEqual([kept.room.id]);
    await Bun.sleep(500);
    expect(await guest.gets("room_closed", 100)).toBe(false);
    expect(lobby.health().rooms).toBe(1);

    back.close();
    await back.waitClose();
    const closed = await guest.next("room_closed", 2_000);
    expect(closed.room_id).toBe(kept.room.id);
    expect(lobby.health().rooms).toBe(0);
  });

  test("a host restores its room under the old id and token hash, and no other host may take the id", async () => {
    const lobby = await h.lobby();
    const host = await h.node(lobby);
    const thief = await h.node(lobby);
    const guest = await h.node(lobby);
    const roomId = "ab".repeat(16);
    const token = "T".repeat(22);
    const token_hash = createHash("sha256").update(token).digest("hex");
    host.send({
      type: "create_room",
      name: "Restored",
      visibility: "unlisted",
      policy: "token",
      restore: { room_id: roomId, token_hash },
    });
    const created = await host.next("room_created");
    expect(created.room.id).toBe(roomId);
    expect(created.token).toBeUndefined();
    thief.send({
      type: "create_room",
      name: "Mine",
      visibility: "public",
      policy: "open",
      restore: { room_id: roomId },
    });
    expect((await thief.next("error")).code).toBe("denied");
    guest.send({ type: "join_room", room_id: roomId, token });
    expect((await guest.next("room_info")).host.node_id).toBe(host.id);
  });

  test("a host may hold only so many rooms", async () => {
    const lobby = await h.lobby({ roomsPerHost: 2 });
    const host = await h.node(lobby);
    await createRoom(host, "one");
    await createRoom(host, "two");
    host.send({ type: "create_room", name: "three", visibility: "public", policy: "open" });
    expect(await host.next("error")).toMatchObject({ code: "limit", re: "create_room" });
    expect(lobby.health().rooms).toBe(2);
  });
});
