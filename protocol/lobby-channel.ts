import { z } from "zod";
import {
  directoryEntry,
  joinParty,
  roomId,
  roomPolicy,
  roomSummary,
  roomToken,
  roomVisibility,
} from "./lobby.ts";

/**
 * The `lobby` channel of the browser wire (`/ws`): what the Lobby pane shows and asks of the
 * node's lobby client (docs/architecture.md, "The lobby"). The node holds the one lobby socket;
 * every tab sees the same state.
 */

/** Where the node's lobby socket is: `off` (no URL set), then connecting → connected, or retrying. */
export const lobbyStatus = z.enum(["off", "connecting", "connected", "retrying"]);
export type LobbyStatus = z.infer<typeof lobbyStatus>;

/** A room this node hosts, with what only the host knows (its token). */
export const hostedRoom = roomSummary.extend({ token: roomToken.optional() });
export type HostedRoom = z.infer<typeof hostedRoom>;

/** A guest asking into one of this node's open rooms, waiting for Accept or Decline. */
export const joinRequest = z.object({
  room_id: roomId,
  room_name: z.string(),
  guest: joinParty,
  ts: z.number(),
});
export type JoinRequest = z.infer<typeof joinRequest>;

export const lobbyState = z.object({
  status: lobbyStatus,
  /** The lobby address in use, or tried next. */
  url: z.string(),
  /** Every address of the lobby the node was given (instances of one lobby), in the order tried. */
  addresses: z.array(z.string()).max(8),
  /** The lobby's id as it proved it (its challenge); null until connected once. */
  lobby_id: z.string().nullable(),
  /** Why the last attempt failed, while `retrying`; and when the next one starts. */
  error: z.string().nullable(),
  retry_at: z.number().nullable(),
  /** Rooms this node hosts. */
  rooms: z.array(hostedRoom),
  /** Public rooms on the lobby, as last listed. */
  public_rooms: z.array(roomSummary),
  directory: z.array(directoryEntry),
  requests: z.array(joinRequest),
  self: z.object({ node_id: z.string(), node_name: z.string(), listed: z.boolean() }),
});
export type LobbyState = z.infer<typeof lobbyState>;

/** Steps of a join as the guest's pane shows them. */
export const joinStep = z.enum([
  "joining",
  "room_info",
  "waiting_for_host",
  "dialing_direct",
  "webrtc",
  "relay",
  "connected",
  "failed",
]);
export type JoinStep = z.infer<typeof joinStep>;

const empty = z.object({}).strict().default({});

/** How long a list of lobby addresses may be: 8 addresses of up to 300 characters, and separators. */
export const LOBBY_URLS_MAX_CHARS = 2_500;

/** `/ws` `lobby` channel, client → server. */
export const lobbyClientEvent = z.discriminatedUnion("event", [
  z.object({ event: z.literal("state"), data: empty }),
  /**
   * Connects to `url` (saved as `network.lobbyUrl`), or to the saved URL when none is given.
   * `url` may list up to 8 instances of one lobby, separated by commas or spaces.
   */
  z.object({
    event: z.literal("connect"),
    data: z.object({ url: z.string().min(1).max(LOBBY_URLS_MAX_CHARS).optional() }).strict(),
  }),
  z.object({ event: z.literal("disconnect"), data: empty }),
  z.object({ event: z.literal("list_rooms"), data: empty }),
  z.object({
    event: z.literal("create_room"),
    data: z
      .object({ name: z.string().trim().min(1).max(64), visibility: roomVisibility, policy: roomPolicy })
      .strict(),
  }),
  z.object({
    event: z.literal("join_room"),
    data: z.object({ room_id: roomId, token: roomToken.optional() }).strict(),
  }),
  z.object({ event: z.literal("leave_room"), data: z.object({ room_id: roomId }).strict() }),
  z.object({
    event: z.literal("accept"),
    data: z.object({ room_id: roomId, node_id: z.string().max(64) }).strict(),
  }),
  z.object({
    event: z.literal("decline"),
    data: z.object({ room_id: roomId, node_id: z.string().max(64) }).strict(),
  }),
]);
export type LobbyClientEvent = z.infer<typeof lobbyClientEvent>;

/** `/ws` `lobby` channel, server → client. */
export const lobbyServerEvent = z.discriminatedUnion("event", [
  z.object({ event: z.literal("state"), data: lobbyState }),
  z.object({ event: z.literal("rooms"), data: z.object({ rooms: z.array(roomSummary) }) }),
  z.object({ event: z.literal("directory"), data: z.object({ directory: z.array(directoryEntry) }) }),
  z.object({ event: z.literal("room_created"), data: z.object({ room: hostedRoom }) }),
  /** A join this tab or another asked for linked up: `peer` is the host (guest side) or guest. */
  z.object({
    event: z.literal("joined"),
    data: z.object({ room_id: roomId, node_id: z.string(), node_name: z.string(), transport: z.string() }),
  }),
  z.object({ event: z.literal("join_request"), data: joinRequest }),
  z.object({
    event: z.literal("join_progress"),
    data: z.object({
      room_id: roomId,
      step: joinStep,
      transport: z.string().optional(),
      /** With `failed`: what went wrong, in words a person can act on. */
      error: z.string().optional(),
    }),
  }),
  z.object({ event: z.literal("error"), data: z.object({ message: z.string() }) }),
]);
export type LobbyServerEvent = z.infer<typeof lobbyServerEvent>;
