import type { ChannelFrame } from "../../plugins/sdk/host.ts";
import { collabServerEvent } from "../../protocol/collab.ts";

/** What to tell the user when a peer shares a room with this node. */
export interface RoomNotice {
  message: string;
  /** The pane to open from the notice; null when this weft has no pane by that id. */
  paneId: string | null;
}

/**
 * The notice for a `room_shared` frame on the `collab` channel, or null for any other frame.
 * `titleOf` names the registered pane with that id, if there is one.
 */
export function roomSharedNotice(
  frame: ChannelFrame,
  titleOf: (paneId: string) => string | undefined,
): RoomNotice | null {
  const parsed = collabServerEvent.safeParse(frame);
  if (!parsed.success || parsed.data.event !== "room_shared") return null;
  const { paneId, by } = parsed.data.data;
  const who = by.node_name.trim() || `Node ${by.node_id.slice(0, 8)}`;
  const title = titleOf(paneId);
  if (title === undefined) {
    return { message: `${who} shared a “${paneId}” pane, which this weft does not have.`, paneId: null };
  }
  return { message: `${who} shared ${title} with you`, paneId };
}

/** Where room notices go: the shell's channel subscription, toasts and workspace. */
export interface RoomNoticeSink {
  subscribe(channel: string, listener: (frame: ChannelFrame) => void): () => void;
  notify(notice: RoomNotice): void;
}

/**
 * Shows a notice, anywhere in the shell, whenever a peer shares a room with this node, so the user
 * hears of it even with the pane closed. Returns the function that stops listening.
 */
export function watchRoomShares(
  sink: RoomNoticeSink,
  titleOf: (paneId: string) => string | undefined,
): () => void {
  return sink.subscribe("collab", (frame) => {
    const notice = roomSharedNotice(frame, titleOf);
    if (notice) sink.notify(notice);
  });
}
