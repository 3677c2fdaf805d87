import { initialLobbyView, type LobbyView, reduceLobby } from "../../../plugins/lobby/lobby-model.ts";
import type { RoomSummary } from "../../../protocol/lobby.ts";
import type { JoinRequest, LobbyServerEvent, LobbyState } from "../../../protocol/lobby-channel.ts";
import { lobbyServerEvent } from "../../../protocol/lobby-channel.ts";

export const SELF = "selfselfselfself";
export const ALICE = "aliceaaaaaaaaaaa";
export const BOB = "bobbbbbbbbbbbbbb";
export const ROOM_A = "a".repeat(32);
export const ROOM_B = "b".repeat(32);
export const ROOM_MINE = "c".repeat(32);
export const TOKEN = "Abcdefghij_klmnopq-rst";
export const KEY = Buffer.alloc(32, 9).toString("base64");

/** A server event as the wire delivers it: parsed by the channel's own schema, so fixtures cannot drift. */
export function server(frame: { event: string; data: unknown }): LobbyServerEvent {
  return lobbyServerEvent.parse(frame);
}

export function room(over: Partial<RoomSummary> = {}): RoomSummary {
  return {
    id: ROOM_A,
    name: "Friday pairing",
    host: ALICE,
    host_name: "alice",
    members: 1,
    policy: "open",
    visibility: "public",
    ...over,
  };
}

export function request(over: Partial<JoinRequest> = {}): JoinRequest {
  return {
    room_id: ROOM_MINE,
    room_name: "My room",
    guest: { node_id: BOB, node_name: "bob", public_key: KEY, addresses: [] },
    ts: 1_700_000_000_000,
    ...over,
  };
}

export function lobbyState(over: Partial<LobbyState> = {}): LobbyState {
  return {
    status: "connected",
    url: "ws://lobby.example:7400",
    addresses: ["ws://lobby.example:7400/lobby-ws"],
    lobby_id: "lobbylobbylobbyl",
    error: null,
    retry_at: null,
    rooms: [],
    public_rooms: [room()],
    directory: [],
    requests: [],
    self: { node_id: SELF, node_name: "me", listed: true },
    ...over,
  };
}

/** The view after the node's first `state`, then each of `events` in turn. */
export function viewAfter(state: LobbyState, ...events: Array<{ event: string; data: unknown }>): LobbyView {
  let view = reduceLobby(initialLobbyView(), server({ event: "state", data: state }));
  for (const event of events) view = reduceLobby(view, server(event));
  return view;
}
