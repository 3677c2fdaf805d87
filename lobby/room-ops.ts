import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { JoinParty, LobbyClientMessage, LobbyErrorCode, LobbyServerMessage } from "../protocol/lobby.ts";
import type { RoomRecord } from "./backplane/backplane.ts";
import type { Connection } from "./connection.ts";
import { heldParty, joinParty, type Member } from "./directory.ts";
import type { LobbyCore } from "./lobby-core.ts";
import { recordOf, summary } from "./rooms.ts";

type CreateRoom = Extract<LobbyClientMessage, { type: "create_room" }>;
type JoinRoom = Extract<LobbyClientMessage, { type: "join_room" }>;
type LeaveRoom = Extract<LobbyClientMessage, { type: "leave_room" }>;

const frame = (msg: LobbyServerMessage): string => JSON.stringify(msg);

/** Why a room request was refused; the socket answers it as an `error`. */
export interface Refusal {
  code: LobbyErrorCode;
  message: string;
}

const refuse = (code: LobbyErrorCode, message: string): Refusal => ({ code, message });

/** What the lobby keeps of a room token: its sha256, so a leak of the lobby's memory admits no one. */
export function tokenHash(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/*
 * Rooms live in the backplane, shared by every instance of the lobby: a room made here may be
 * joined through any instance, and its host and guests may be on others. Each request runs in
 * its socket's turn (`Connection.serial`), so one node's room requests are answered in order.
 */

/**
 * `create_room`: a new room with a fresh id (and a token for a `token` room, told to the host
 * only), or with `restore` the room this host had before a restart, under its old id and token
 * hash so the tokens its guests hold keep working (perhaps on another instance than before).
 */
export async function createRoom(
  core: LobbyCore,
  conn: Connection,
  host: Member,
  msg: CreateRoom,
): Promise<Refusal | undefined> {
  const bp = core.backplane;
  const restore = msg.restore;
  const existing = restore ? await bp.room(restore.room_id) : undefined;
  if (existing && existing.host !== host.id) {
    return refuse("denied", "another host holds a room with this id");
  }
  if (!existing) {
    const mine = await bp.roomsOf(host.id);
    core.rooms.reconcile(host.id, mine, core.instance);
    if (mine.length >= core.limits.roomsPerHost) {
      return refuse("limit", `a host may hold at most ${core.limits.roomsPerHost} rooms`);
    }
  }
  let token: string | undefined;
  let hash: string | undefined;
  if (msg.policy === "token") {
    if (restore) {
      hash = restore.token_hash ?? existing?.tokenHash;
      if (!hash) return refuse("denied", "a token room is restored with its token hash");
    } else {
      token = randomBytes(16).toString("base64url");
      hash = tokenHash(token);
    }
  }
  const room: RoomRecord = {
    id: restore?.room_id ?? randomBytes(16).toString("hex"),
    name: msg.name,
    host: host.id,
    hostName: host.name,
    visibility: msg.visibility,
    policy: msg.policy,
    tokenHash: hash,
    createdAt: existing?.createdAt ?? Date.now(),
  };
  if ((await bp.putRoom(room)) === "taken") return refuse("denied", "another host holds a room with this id");
  core.rooms.add(room);
  core.listing.invalidate();
  // The host went while its room was being made: the room waits for it like its others.
  if (core.directory.get(host.id) !== host) core.hostGone(host.id);
  conn.send({
    type: "room_created",
    room: summary(room, existing?.members ?? 1),
    ...(token ? { token } : {}),
  });
  return undefined;
}

/** `join_room`: the guest learns where the host is, and the host learns who is coming. */
export async function joinRoom(
  core: LobbyCore,
  conn: Connection,
  guest: Member,
  msg: JoinRoom,
): Promise<Refusal | undefined> {
  const bp = core.backplane;
  const room = await bp.room(msg.room_id);
  if (!room) return refuse("no_room", "no such room");
  // The host is on this instance, or on another one, or not registered anywhere (in its grace).
  const local = core.directory.get(room.host);
  const held = local ? undefined : await bp.node(room.host);
  const host: JoinParty | undefined = local ? joinParty(local) : held && heldParty(held);
  if (!host) return refuse("no_room", "the host of this room is not connected");
  if (room.host === guest.id) return refuse("denied", "this node hosts the room");
  if (room.policy === "token") {
    if (!msg.token) return refuse("denied", "this room takes a token");
    if (!room.tokenHash || !sameHex(tokenHash(msg.token), room.tokenHash)) {
      return refuse("denied", "wrong room token");
    }
  }
  const joined = await bp.joinRoom(room.id, guest.id);
  if (joined) {
    guest.joined.set(room.id, room.host);
    core.listing.invalidate();
  }
  conn.send({ type: "room_info", room: summary(room, room.members + (joined ? 1 : 0)), host });
  core.tell(room.host, frame({ type: "peer_joining", room_id: room.id, guest: joinParty(guest) }));
  return undefined;
}

/** `leave_room`: the host leaving closes the room; a guest leaving is told to the host. */
export async function leaveRoom(
  core: LobbyCore,
  member: Member,
  msg: LeaveRoom,
): Promise<Refusal | undefined> {
  const room = await core.backplane.room(msg.room_id);
  if (!room) return refuse("no_room", "no such room");
  if (room.host === member.id) {
    await closeRoom(core, room, "the host closed the room");
    return undefined;
  }
  if (!(await core.backplane.leaveRoom(room.id, member.id))) {
    return refuse("no_room", "this node is not in the room");
  }
  member.joined.delete(room.id);
  guestLeft(core, member.id, room.id, room.host);
  return undefined;
}

/** Ends a room wherever it is held: every member still here, the host included, gets `room_closed`. */
export async function closeRoom(
  core: LobbyCore,
  room: { readonly id: string; readonly host: string },
  reason: string,
): Promise<void> {
  const guests = await core.backplane.deleteRoom(room.id);
  core.rooms.remove(room.id);
  core.listing.invalidate();
  // Ended meanwhile by another instance, which told its members.
  if (guests === undefined) return;
  const text = frame({ type: "room_closed", room_id: room.id, reason });
  for (const id of guests) {
    core.directory.get(id)?.joined.delete(room.id);
    core.tell(id, text);
  }
  core.tell(room.host, text);
}

/** A guest is no longer in a room (it left, or left the lobby): the host hears of it. */
export function guestLeft(core: LobbyCore, guestId: string, roomId: string, host: string): void {
  core.listing.invalidate();
  core.tell(host, frame({ type: "peer_left", room_id: roomId, node_id: guestId }));
}

/**
 * The host's rooms show its name: after a rename, or a return under another name, each of its
 * rooms is put again with the new one (and is then held by this instance, the host's own).
 */
export async function renameHostedRooms(core: LobbyCore, host: Member): Promise<void> {
  const rooms = await core.backplane.roomsOf(host.id);
  for (const room of rooms) {
    if (room.hostName === host.name) continue;
    const renamed = { ...recordOf(room), hostName: host.name };
    if ((await core.backplane.putRoom(renamed)) !== "taken") core.rooms.add(renamed);
  }
  core.listing.invalidate();
}

function sameHex(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
