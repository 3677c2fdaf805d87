import { paneIdOf } from "../../protocol/collab.ts";
import type { NoticeInput } from "../notices/notice-store.ts";
import type { CollabRoom } from "./collab-room.ts";

/** “Groceries” (Scratch) when the room has a title, else the pane's title alone. */
function displayTitle(room: CollabRoom, paneTitle: string): string {
  const title = room.title().trim();
  return title ? `“${title}” (${paneTitle})` : paneTitle;
}

const openAction = (room: CollabRoom) => ({
  label: "Open",
  paneId: paneIdOf(room.key),
  params: { room: room.address },
});

/** The inbox entry for a room another node shared with this one; Open opens it. */
export function shareReceivedNotice(
  room: CollabRoom,
  by: string,
  paneTitle: string,
  again: boolean,
): NoticeInput {
  return {
    kind: "share_received",
    peer: { node_id: room.ref.owner ?? "", node_name: by },
    text: `${by} shared ${displayTitle(room, paneTitle)} with you${again ? " again" : ""}`,
    action: openAction(room),
  };
}

/** The inbox entry for a share its owner withdrew; a copy that was opened stays to be opened. */
export function shareRevokedNotice(room: CollabRoom, by: string, paneTitle: string): NoticeInput {
  return {
    kind: "share_revoked",
    peer: { node_id: room.ref.owner ?? "", node_name: by },
    text: `${by} stopped sharing ${displayTitle(room, paneTitle)}`,
    ...(room.access === "invited" ? {} : { action: openAction(room) }),
  };
}
