import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { LobbyClientMessage, LobbyErrorCode, LobbyServerMessage } from "../protocol/lobby.ts";
import type { Connection } from "./connection.ts";
import { joinParty, type Member } from "./directory.ts";
import type { LobbyCore } from "./lobby-core.ts";
import { type Room, summary } from "./rooms.ts";

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

/**
 * `create_room`: a new room with a fresh id (and a token for a `token` room, told to the host
 * only), or with `restore` the room this host had before a restart, under its old id and token
 * hash so the tokens its guests hold keep working.
 */
export function createRoom(
  core: LobbyCore,
  conn: Connection,
  host: Member,
  msg: CreateRoom,
): Refusal | undefined {
  const existing = msg.restore ? core.rooms.get(msg.restore.room_id) : undefined;
  if (existing && existing.host !== host.id) {
    return refuse("denied", "another host holds a room with this id");
  }
  if (!existing && core.rooms.countHostedBy(host.id) >= core.limits.roomsPerHost) {
    return refuse("limit", `a host may hold at most ${core.limits.roomsPerHost} rooms`);
  }
  let token: string | undefined;
  let hash: string | undefined;
  if (msg.policy === "token") {
    if (msg.restore) {
      hash = msg.restore.token_hash ?? existing?.tokenHash;
      if (!hash) return refuse("denied", "a token room is restored with its token hash");
    } else {
      token = randomBytes(16).toString("base64url");
      hash = tokenHash(token);
    }
  }
  let room: Room;
  if (existing) {
    room = existing;
    room.name = msg.name;
    room.hostName = host.name;
    room.visibility = msg.visibility;
    room.policy = msg.policy;
    room.tokenHash = hash;
    core.rooms.changed();
  } else {
    room = {
      id: msg.restore?.room_id ?? randomBytes(16).toString("hex"),
      name: msg.name,
      host: host.id,
      hostName: host.name,
      visibility: msg.visibility,
      policy: msg.policy,
      tokenHash: hash,
      guests: new Set(),
    };
    core.rooms.add(room);
  }
  conn.send({ type: "room_created", room: summary(room), ...(token ? { token } : {}) });
  return undefined;
}

/** `join_room`: the guest learns where the host is, and the host learns who is coming. */
export function joinRoom(
  core: LobbyCore,
  conn: Connection,
  guest: Member,
  msg: JoinRoom,
): Refusal | undefined {
  const room = core.rooms.get(msg.room_id);
  if (!room) return refuse("no_room", "no such room");
  const host = core.directory.get(room.host);
  if (!host) return refuse("no_room", "the host of this room is not connected");
  if (room.host === guest.id) return refuse("denied", "this node hosts the room");
  if (room.policy === "token") {
    if (!msg.token) return refuse("denied", "this room takes a token");
    if (!room.tokenHash || !sameHex(tokenHash(msg.token), room.tokenHash)) {
      return refuse("denied", "wrong room token");
    }
  }
  if (!room.guests.has(guest.id)) {
    room.guests.add(guest.id);
    guest.joined.add(room.id);
    core.rooms.changed();
  }
  conn.send({ type: "room_info", room: summary(room), host: joinParty(host) });
  host.socket.sendText(frame({ type: "peer_joining", room_id: room.id, guest: joinParty(guest) }));
  return undefined;
}

/** `leave_room`: the host leaving closes the room; a guest leaving is told to the host. */
export function leaveRoom(core: LobbyCore, member: Member, msg: LeaveRoom): Refusal | undefined {
  const room = core.rooms.get(msg.room_id);
  if (!room) return refuse("no_room", "no such room");
  if (room.host === member.id) {
    closeRoom(core, room, "the host closed the room");
    return undefined;
  }
  if (!room.guests.has(member.id)) return refuse("no_room", "this node is not in the room");
  member.joined.delete(room.id);
  guestLeft(core, member.id, room.id);
  return undefined;
}

/** Ends a room: every member still here, the host included, gets `room_closed`. */
export function closeRoom(core: LobbyCore, room: Room, reason: string): void {
  core.rooms.remove(room.id);
  const text = frame({ type: "room_closed", room_id: room.id, reason });
  for (const id of room.guests) {
    const guest = core.directory.get(id);
    if (!guest) continue;
    guest.joined.delete(room.id);
    guest.socket.sendText(text);
  }
  core.directory.get(room.host)?.socket.sendText(text);
}

/** A guest is no longer in a room (it left, or left the lobby): the host hears of it. */
export function guestLeft(core: LobbyCore, guestId: string, roomId: string): void {
  const room = core.rooms.get(roomId);
  if (!room?.guests.delete(guestId)) return;
  core.rooms.changed();
  core.directory
    .get(room.host)
    ?.socket.sendText(frame({ type: "peer_left", room_id: room.id, node_id: guestId }));
}

function sameHex(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
