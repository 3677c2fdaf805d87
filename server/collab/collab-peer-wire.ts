import {
  collabAwarenessData,
  collabShareData,
  collabSyncData,
  collabUnshareData,
  collabUpdateData,
} from "../../protocol/collab.ts";
import type { PeerSession } from "../fabric/peer-session.ts";
import { type PeerMessageType, peerMessageType } from "../features/feature.ts";
import type { Logger } from "../log.ts";
import { type CollabRoom, CollabUpdateError } from "./collab-room.ts";
import type { CollabService } from "./collab-service.ts";
import { AwarenessUpdateError } from "./room-awareness.ts";

/**
 * The `collab_*` peer messages (protocol/collab.ts). Every frame names the room's owner, which
 * must be the sender or this node: a room of mine the sender was given (and still has), or a room
 * of the sender's that this node has opened. Anything else — a third node's room, a room never
 * shared, unshared since, or not yet opened here — is dropped (the hub already dropped anything
 * from a peer that is not trusted). Nothing a peer sends reaches a room it was not given, and no share merges.
 */
export function collabPeerTypes(deps: { collab: CollabService; log: Logger }): PeerMessageType[] {
  const { collab, log } = deps;
  const self = collab.nodeId;
  /** Why the sender may not touch the room, or null when it may. */
  const refusal = (peer: PeerSession, room: CollabRoom | undefined, owner: string): string | null => {
    if (!room) return owner === self || owner === peer.peerId ? "no such room here" : "room of a third node";
    if (owner === self) return room.sharedWith.has(peer.peerId) ? null : "room not shared with the peer";
    return room.access === "guest" ? null : "room not open here";
  };
  /**
   * Runs `fn` on the room a sync, update or caret frame is about when the sender may touch it: a
   * room of mine shared with it, or a room of its that this node opened; never a third node's.
   * A bad Yjs or awareness payload is logged and dropped. A room loaded only to judge the frame
   * goes back to SQLite after.
   */
  const withRoom = (peer: PeerSession, key: string, owner: string, fn: (room: CollabRoom) => void) => {
    const room = owner === self || owner === peer.peerId ? collab.roomOf(owner, key) : undefined;
    try {
      const why = refusal(peer, room, owner);
      if (why || !room) {
        log.debug(`collab frame dropped: ${why}`, { node: peer.peerId, room: key });
        return;
      }
      fn(room);
    } catch (err) {
      if (!(err instanceof CollabUpdateError || err instanceof AwarenessUpdateError)) throw err;
      log.info("bad collab frame from a peer", { error: err.message });
    } finally {
      if (room) collab.releaseIfIdle(room);
    }
  };

  return [
    peerMessageType("collab_share", collabShareData, (peer, data) => {
      const refused = collab.received({ id: peer.peerId, name: peer.peerName }, data.room, data.title);
      if (refused) peer.send("error", { code: "share_refused", message: refused });
    }),

    peerMessageType("collab_unshare", collabUnshareData, (peer, data) => {
      if (data.owner !== self && data.owner !== peer.peerId) return;
      const room = collab.roomOf(data.owner, data.room);
      if (!room) return;
      try {
        if (data.owner === self) {
          // A guest removed its copy: stop sharing with it.
          if (!room.sharedWith.delete(peer.peerId)) return;
          collab.unlinked(room, peer.peerId);
          collab.sharingChanged(room);
        } else if (room.access !== "revoked") {
          collab.revoked(room, peer.peerName);
        }
      } finally {
        collab.releaseIfIdle(room);
      }
    }),

    peerMessageType("collab_sync", collabSyncData, (peer, data) =>
      withRoom(peer, data.room, data.owner, (room) => {
        collab.linkedBy(room, peer.peerId);
        if (data.update !== undefined) room.apply(data.update, { kind: "peer", nodeId: peer.peerId });
        if (data.sv === undefined) return;
        // An opener (no update) is answered with our vector too, so the exchange runs both ways once.
        const answer = {
          room: room.key,
          owner: data.owner,
          update: room.diffFor(data.sv),
          ...(data.update === undefined ? { sv: room.stateVectorB64() } : {}),
        };
        peer.send("collab_sync", answer);
      }),
    ),

    peerMessageType("collab_update", collabUpdateData, (peer, data) =>
      withRoom(peer, data.room, data.owner, (room) =>
        room.apply(data.update, { kind: "peer", nodeId: peer.peerId }),
      ),
    ),

    // Only from a peer that has the room open on this link, like the edits it goes along with.
    peerMessageType("collab_awareness", collabAwarenessData, (peer, data) =>
      withRoom(peer, data.room, data.owner, (room) => {
        if (room.linked.has(peer.peerId))
          collab.awareness(room, data.update, { kind: "peer", nodeId: peer.peerId });
      }),
    ),
  ];
}
