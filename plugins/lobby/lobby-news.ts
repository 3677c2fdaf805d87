/**
 * What the pane tells the person about, beyond redrawing: a guest asking in, a join that linked,
 * an error no form is waiting for. Decided from the view before the event, so a request already
 * known (a repeat, or one the last `state` listed) is not announced twice.
 */
import type { JoinRequest, LobbyServerEvent } from "../../protocol/lobby-channel.ts";
import { errorLands, type LobbyView, requestKey } from "./lobby-model.ts";

export type LobbyNews =
  | { kind: "request"; request: JoinRequest }
  /** This node, as a guest, linked with a room's host. */
  | { kind: "joined"; room_id: string; room_name: string | null; peer: string; transport: string }
  /** A guest was let into a room this node hosts. */
  | { kind: "guest_joined"; room_id: string; room_name: string; peer: string; transport: string }
  | { kind: "problem"; message: string };

/** The news `event` makes, seen from `before` (the view it is about to change), or null. */
export function lobbyNews(before: LobbyView, event: LobbyServerEvent): LobbyNews | null {
  switch (event.event) {
    case "join_request": {
      const key = requestKey(event.data);
      const known = before.state?.requests.some((r) => requestKey(r) === key) ?? false;
      return known ? null : { kind: "request", request: event.data };
    }
    case "joined": {
      const { room_id, node_name, node_id, transport } = event.data;
      const peer = node_name || node_id;
      const hosted = before.state?.rooms.find((r) => r.id === room_id);
      if (hosted) return { kind: "guest_joined", room_id, room_name: hosted.name, peer, transport };
      const join = before.joins.find((j) => j.room_id === room_id);
      const listed = before.state?.public_rooms.find((r) => r.id === room_id);
      const room_name = join?.room_name ?? listed?.name ?? null;
      return { kind: "joined", room_id, room_name, peer, transport };
    }
    case "error":
      return errorLands(before, event.data.message) === null
        ? { kind: "problem", message: event.data.message }
        : null;
    case "state":
    case "rooms":
    case "directory":
    case "room_created":
    case "join_progress":
      return null;
  }
}
