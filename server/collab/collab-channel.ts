import { type CollabClientEvent, collabClientEvent, paneIdOf } from "../../protocol/collab.ts";
import { type BrowserChannel, browserChannel } from "../features/feature.ts";
import { type BrowserHub, type BrowserSocket, channelSender } from "../ws/browser-hub.ts";
import { type CollabRoom, CollabUpdateError } from "./collab-room.ts";
import type { CollabService } from "./collab-service.ts";
import { AwarenessUpdateError } from "./room-awareness.ts";

/**
 * The `/ws` `collab` channel: tabs open rooms, edit them, share their own, list a pane's rooms and
 * delete them. A read-only room (its owner stopped sharing) refuses edits with a reason.
 */
export function collabChannel(collab: CollabService, browsers: BrowserHub): BrowserChannel {
  const tabs = channelSender(browsers, "collab");
  const error = (socket: BrowserSocket, message: string, paneKey?: string) =>
    tabs.send(socket, "error", { message, ...(paneKey ? { paneKey } : {}) });

  /** Why a pane has no rooms here, or null when it has. */
  const noRooms = (paneId: string) => {
    if (!collab.knowsPane(paneId)) return `no pane "${paneId}" on this node`;
    if (!collab.hostsRooms(paneId)) return `the "${paneId}" pane has no shared rooms`;
    return null;
  };

  const onFrame = (socket: BrowserSocket, msg: CollabClientEvent) => {
    if (msg.event === "rooms") {
      const why = noRooms(msg.data.paneId);
      return why ? error(socket, why) : collab.watchList(socket, msg.data.paneId);
    }
    const { paneKey } = msg.data;
    const room = collab.room(paneKey, msg.event === "join");
    if (!room) {
      const paneId = paneIdOf(paneKey);
      const why = noRooms(paneId);
      if (why) return error(socket, why, paneKey);
      if (paneKey.includes("@"))
        return error(socket, "this note is not shared with you (or was deleted)", paneKey);
      return error(
        socket,
        msg.event === "update" || msg.event === "awareness"
          ? "join the room before sending updates"
          : "no such room",
        paneKey,
      );
    }
    try {
      handle(socket, room, msg);
    } finally {
      // A room loaded only to answer this frame (a leave, a refused update) goes back to SQLite.
      collab.releaseIfIdle(room);
    }
  };

  function handle(
    socket: BrowserSocket,
    room: CollabRoom,
    msg: Exclude<CollabClientEvent, { event: "rooms" }>,
  ) {
    const { paneKey } = msg.data;
    switch (msg.event) {
      case "join":
        return collab.join(socket, room);
      case "leave":
        return collab.leave(socket, room);
      case "update": {
        const memberId = room.tabs.get(socket);
        if (!memberId) return error(socket, "join the room before sending updates", paneKey);
        if (room.access === "revoked")
          return error(socket, "its owner stopped sharing this: it is read-only", paneKey);
        try {
          room.apply(msg.data.update, { kind: "tab", socket, memberId });
        } catch (err) {
          if (err instanceof CollabUpdateError) return error(socket, err.message, paneKey);
          throw err;
        }
        return;
      }
      case "awareness": {
        if (!room.tabs.has(socket)) return error(socket, "join the room before sending carets", paneKey);
        try {
          collab.awareness(room, msg.data.update, { kind: "tab", socket });
        } catch (err) {
          if (err instanceof AwarenessUpdateError) return error(socket, err.message, paneKey);
          throw err;
        }
        return;
      }
      case "share": {
        const why = collab.share(room, msg.data.nodeId);
        return why ? error(socket, why, paneKey) : undefined;
      }
      case "unshare": {
        const why = collab.unshare(room, msg.data.nodeId);
        return why ? error(socket, why, paneKey) : undefined;
      }
      case "delete":
        return collab.delete(room);
      default: {
        const never: never = msg;
        return never;
      }
    }
  }
  return browserChannel({ name: "collab", schema: collabClientEvent, handle: onFrame });
}
