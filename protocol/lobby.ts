import { z } from "zod";
import { b64Bytes, hexId128, NODE_ID, nodeId } from "./primitives.ts";

/**
 * The lobby wire on `/lobby-ws` (docs/architecture.md, "The lobby"). One socket per node carries
 * registration, the directory, rooms, signaling and the relay. Text frames are flat JSON objects
 * `{ type, …fields }`, a discriminated union on `type` each way; the only binary frames are relayed
 * peer frames (`relayBinary` below). Keys, nonces and signatures are standard base64.
 *
 * The lobby never learns anything that lets it read or admit: relayed frames are peer-wire
 * envelopes (signed handshake frames or sealed frames), room tokens are checked again by the host
 * inside the sealed `auth` frame, and addresses reach only the two ends of a room join.
 */

export const LOBBY_WS_PATH = "/lobby-ws";
/** What a registration signature covers, so it can never be replayed as another kind of proof. */
export const REGISTER_PURPOSE = "weft-lobby-register";

const nodeName = z.string().max(64);
const capabilities = z.array(z.string().max(32)).max(32);
/** Where a node can be dialed directly; told only to the other end of a room join. */
const addresses = z.array(z.string().min(1).max(300)).max(16);
/** A room's id: 128 random bits as hex, so an unlisted room cannot be guessed. */
export const roomId = hexId128;
/** A room token: 128 random bits, base64url (what the host hands out and the guest types). */
export const roomToken = z.string().regex(/^[A-Za-z0-9_-]{22}$/, "must be a 22-character room token");
/** sha256 of a room token, lowercase hex: what the lobby keeps instead of the token. */
const tokenHash = z.string().regex(/^[0-9a-f]{64}$/);
/** A relayed link's id, chosen by the dialer; one peer may have a new link while an old one closes. */
export const relayLinkId = z.string().regex(/^[0-9a-f]{8}$/, "must be 8 hex digits");
export const roomVisibility = z.enum(["public", "unlisted"]);
export const roomPolicy = z.enum(["open", "token"]);
export type RoomVisibility = z.infer<typeof roomVisibility>;
export type RoomPolicy = z.infer<typeof roomPolicy>;

/** Signaling payloads are opaque to the lobby; the ends parse them with their own schemas. */
const signalData = z.unknown();

/** A listed node as others see it: no addresses, ever. */
export const directoryEntry = z.strictObject({
  node_id: nodeId,
  node_name: nodeName,
  public_key: b64Bytes(32),
  capabilities,
  since: z.int().nonnegative(),
});
export type DirectoryEntry = z.infer<typeof directoryEntry>;

/** A room as `list_rooms` shows it; `members` counts the nodes in it, the host included. */
export const roomSummary = z.strictObject({
  id: roomId,
  name: z.string().min(1).max(64),
  host: nodeId,
  host_name: nodeName,
  members: z.int().nonnegative(),
  policy: roomPolicy,
  visibility: roomVisibility,
});
export type RoomSummary = z.infer<typeof roomSummary>;

/** One end of a room join as the other end learns it: who, with which key, where to dial. */
export const joinParty = z.strictObject({
  node_id: nodeId,
  node_name: nodeName,
  public_key: b64Bytes(32),
  addresses,
});
export type JoinParty = z.infer<typeof joinParty>;

export const lobbyErrorCode = z.enum([
  "auth",
  "unregistered",
  "no_room",
  "denied",
  "limit",
  "bad_frame",
  "replaced",
]);
export type LobbyErrorCode = z.infer<typeof lobbyErrorCode>;

/** What a node signs to register: a fresh challenge bound to this lobby and this key. */
export interface RegisterProof {
  purpose: typeof REGISTER_PURPOSE;
  nonce: string;
  lobby_id: string;
  node_id: string;
  public_key: string;
}

// ---- node → lobby ----

export const lobbyClientMessage = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("register"),
    node_id: nodeId,
    public_key: b64Bytes(32),
    node_name: nodeName,
    capabilities,
    addresses,
    listed: z.boolean(),
    sig: b64Bytes(64),
  }),
  /** A registered node's name, addresses or listing changed. */
  z.strictObject({
    type: z.literal("update"),
    node_name: nodeName.optional(),
    addresses: addresses.optional(),
    listed: z.boolean().optional(),
  }),
  z.strictObject({ type: z.literal("list_rooms") }),
  /**
   * `restore` brings back a room this node hosted before the lobby (or the node) restarted, with
   * its id and token hash, so guests' tokens keep working; refused if another host holds the id.
   */
  z.strictObject({
    type: z.literal("create_room"),
    name: z.string().trim().min(1).max(64),
    visibility: roomVisibility,
    policy: roomPolicy,
    restore: z.strictObject({ room_id: roomId, token_hash: tokenHash.optional() }).optional(),
  }),
  z.strictObject({ type: z.literal("join_room"), room_id: roomId, token: roomToken.optional() }),
  z.strictObject({ type: z.literal("leave_room"), room_id: roomId }),
  z.strictObject({ type: z.literal("signal"), to: nodeId, data: signalData }),
  /**
   * Opens a relayed link (the dialer picks `link`); the other end answers with `relay_open` of
   * the same id to accept, or `relay_end` to refuse. Then frames flow as `relay` (text) or binary.
   */
  z.strictObject({ type: z.literal("relay_open"), to: nodeId, link: relayLinkId }),
  z.strictObject({ type: z.literal("relay"), to: nodeId, link: relayLinkId, frame: z.string().max(1 << 20) }),
  z.strictObject({
    type: z.literal("relay_end"),
    to: nodeId,
    link: relayLinkId,
    reason: z.string().max(200),
  }),
  z.strictObject({ type: z.literal("ping") }),
  z.strictObject({ type: z.literal("pong") }),
]);
export type LobbyClientMessage = z.infer<typeof lobbyClientMessage>;
export type LobbyClientType = LobbyClientMessage["type"];

// ---- lobby → node ----

export const lobbyServerMessage = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("challenge"),
    nonce: b64Bytes(32),
    lobby_id: nodeId,
    instance: z.string().max(64),
  }),
  z.strictObject({
    type: z.literal("registered"),
    session: z.string().min(1).max(64),
    directory: z.array(directoryEntry),
    rooms: z.array(roomSummary),
    /**
     * The UDP port where this lobby answers STUN binding requests, on the host the node dialed;
     * absent when it answers none. A node without `network.stunServer` asks it for its public
     * address, so WebRTC needs no third-party server.
     */
    stun_port: z.int().min(1).max(65535).optional(),
  }),
  /** One listed node arrived or changed (`presence`), or left the listing (`gone`). */
  z.strictObject({ type: z.literal("presence"), node: directoryEntry }),
  z.strictObject({ type: z.literal("gone"), node_id: nodeId }),
  /**
   * Directory deltas gathered over a short interval and sent as one frame to every registered
   * socket. Each node id appears at most once, in its latest state: listed (`presence`) or not
   * (`gone`). Applied on top of `registered.directory`; a change already in that snapshot may come
   * again (presence replaces, gone of an unknown id does nothing), and the receiver may find its
   * own listing here, which it ignores.
   */
  z.strictObject({
    type: z.literal("directory_changes"),
    presence: z.array(directoryEntry),
    gone: z.array(nodeId),
  }),
  z.strictObject({ type: z.literal("rooms"), rooms: z.array(roomSummary) }),
  /** To the host only: the token is never stored by the lobby, only its hash. */
  z.strictObject({ type: z.literal("room_created"), room: roomSummary, token: roomToken.optional() }),
  z.strictObject({ type: z.literal("room_info"), room: roomSummary, host: joinParty }),
  z.strictObject({ type: z.literal("peer_joining"), room_id: roomId, guest: joinParty }),
  z.strictObject({ type: z.literal("peer_left"), room_id: roomId, node_id: nodeId }),
  z.strictObject({ type: z.literal("room_closed"), room_id: roomId, reason: z.string().max(200) }),
  z.strictObject({ type: z.literal("signal"), from: nodeId, data: signalData }),
  z.strictObject({ type: z.literal("relay_open"), from: nodeId, link: relayLinkId }),
  z.strictObject({
    type: z.literal("relay"),
    from: nodeId,
    link: relayLinkId,
    frame: z.string().max(1 << 20),
  }),
  z.strictObject({
    type: z.literal("relay_end"),
    from: nodeId,
    link: relayLinkId,
    reason: z.string().max(200),
  }),
  /** The `to` of a relay or signal is not registered here; `link` when it was a relayed frame. */
  z.strictObject({ type: z.literal("undeliverable"), to: nodeId, link: relayLinkId.optional() }),
  z.strictObject({
    type: z.literal("error"),
    code: lobbyErrorCode,
    message: z.string().max(500),
    /** The type of the message refused, when it parsed that far. */
    re: z.string().max(32).optional(),
  }),
  /** The lobby is going away (`shutdown`) or this socket was replaced by a newer registration. */
  z.strictObject({ type: z.literal("goodbye"), reason: z.string().max(200) }),
  z.strictObject({ type: z.literal("ping") }),
  z.strictObject({ type: z.literal("pong") }),
]);
export type LobbyServerMessage = z.infer<typeof lobbyServerMessage>;
export type LobbyServerType = LobbyServerMessage["type"];
/** The message of type `T` from the lobby. */
export type LobbyServerOf<T extends LobbyServerType> = Extract<LobbyServerMessage, { type: T }>;

/** `GET /health` of a lobby. */
export const lobbyHealth = z.object({
  status: z.enum(["ok", "degraded"]),
  version: z.string(),
  lobby_id: nodeId,
  instance: z.string(),
  nodes: z.int().nonnegative(),
  rooms: z.int().nonnegative(),
  uptime_s: z.number().nonnegative(),
  /** The UDP port where the lobby answers STUN; absent when it does not. */
  stun_port: z.int().min(1).max(65535).optional(),
});
export type LobbyHealth = z.infer<typeof lobbyHealth>;

// ---- relayed binary frames ----

/**
 * A relayed binary peer frame (a binary sealed frame, protocol/peer-binary.ts) travels as one
 * binary WebSocket message, so the lobby forwards bytes without parsing JSON or base64:
 *
 * | bytes  | field   |                                                                     |
 * |--------|---------|---------------------------------------------------------------------|
 * | 0      | kind    | `0x52` ("R")                                                        |
 * | 1–16   | peer    | node → lobby: the `to` node id; lobby → node: the `from` node id,   |
 * |        |         | always written by the lobby from the sending socket's registration  |
 * | 17–24  | link    | the relayed link's id, 8 ASCII hex digits                           |
 * | rest   | frame   | the peer frame's bytes, unchanged                                   |
 */
export const RELAY_BINARY_KIND = 0x52;
export const RELAY_BINARY_HEADER = 25;
const PEER_AT = 1;
const LINK_AT = 17;

export class RelayFrameError extends Error {
  override readonly name = "RelayFrameError";
}

const LINK_ID = /^[0-9a-f]{8}$/;

/** Wraps `frame` for the relay, naming `peer` (`to` when a node sends, `from` when the lobby does). */
export function writeRelayBinary(peer: string, link: string, frame: Uint8Array): Uint8Array {
  if (!NODE_ID.test(peer)) throw new RelayFrameError("peer is not a node id");
  if (!LINK_ID.test(link)) throw new RelayFrameError("link is not a relay link id");
  const out = new Uint8Array(RELAY_BINARY_HEADER + frame.length);
  out[0] = RELAY_BINARY_KIND;
  for (let i = 0; i < 16; i++) out[PEER_AT + i] = peer.charCodeAt(i);
  for (let i = 0; i < 8; i++) out[LINK_AT + i] = link.charCodeAt(i);
  out.set(frame, RELAY_BINARY_HEADER);
  return out;
}

/** Reads a relayed binary frame's header; `frame` is a view of the bytes, not a copy. */
export function readRelayBinary(bytes: Uint8Array): { peer: string; link: string; frame: Uint8Array } {
  if (bytes.length <= RELAY_BINARY_HEADER) throw new RelayFrameError("relayed frame is too short");
  if (bytes[0] !== RELAY_BINARY_KIND) throw new RelayFrameError("not a relayed frame");
  const peer = String.fromCharCode(...bytes.subarray(PEER_AT, LINK_AT));
  const link = String.fromCharCode(...bytes.subarray(LINK_AT, RELAY_BINARY_HEADER));
  if (!NODE_ID.test(peer)) throw new RelayFrameError("peer is not a node id");
  if (!LINK_ID.test(link)) throw new RelayFrameError("link is not a relay link id");
  return { peer, link, frame: bytes.subarray(RELAY_BINARY_HEADER) };
}

/** The lobby rewrites the peer field in place: `to` becomes the sender's registered id. */
export function rewriteRelayPeer(bytes: Uint8Array, peer: string): void {
  for (let i = 0; i < 16; i++) bytes[PEER_AT + i] = peer.charCodeAt(i);
}

// ---- signaling payloads between nodes (opaque to the lobby) ----

/**
 * What nodes send each other in `signal.data`. The lobby relays these unread; the receiving node
 * parses them with this schema and drops anything else.
 */
export const nodeSignal = z.discriminatedUnion("kind", [
  /** The host of an open room declined a guest (or its person did not answer in time). */
  z.strictObject({ kind: z.literal("join_declined"), room_id: roomId, reason: z.string().max(200) }),
  /** The host accepted: it is dialing the guest now (direct first, then the relay). */
  z.strictObject({ kind: z.literal("join_accepted"), room_id: roomId }),
]);
export type NodeSignal = z.infer<typeof nodeSignal>;

/** A WebRTC link's id, chosen by the dialing node: 8 hex digits, as a relayed link's. */
const rtcLink = z.string().regex(/^[0-9a-f]{8}$/);

/**
 * WebRTC negotiation between two nodes, in `signal.data` (trickle ICE): the dialer's offer, the
 * answer, each side's candidates as they are found, and an end when either gives up. Sizes are
 * bounded well under the lobby's `signalFrameBytes`.
 */
export const rtcSignal = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("rtc_offer"), link: rtcLink, sdp: z.string().min(1).max(16_384) }),
  z.strictObject({ kind: z.literal("rtc_answer"), link: rtcLink, sdp: z.string().min(1).max(16_384) }),
  z.strictObject({
    kind: z.literal("rtc_candidate"),
    link: rtcLink,
    candidate: z.string().min(1).max(1_024),
    mid: z.string().max(64),
  }),
  z.strictObject({ kind: z.literal("rtc_end"), link: rtcLink, reason: z.string().max(200) }),
]);
export type RtcSignal = z.infer<typeof rtcSignal>;
