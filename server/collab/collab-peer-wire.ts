import {
  collabAwarenessData,
  collabShareData,
  collabSyncData,
  collabUnshareData,
  collabUpdateData,
} from "../../protocol/collab.ts";
import type { PeerHub } from "../fabric/peer-hub.ts";
import type { PeerSession } from "../fabric/peer-session.ts";
import type { Logger } from "../log.ts";
import { type CollabRoom, CollabUpdateError } from "./collab-room.ts";
import type { CollabService } from "./collab-service.ts";
import { AwarenessUpdateError } from "./room-awareness.ts";

/**
 * The `collab_*` peer messages (protocol/collab.ts). Every frame names the room's owner, which
 * must be the sender or this node: a room of mine the sender was given (and still has), or a room
 * of the sender's that this node has opened. Anything else — a third node's room, a room never
 * shared, unshared since, or not yet opened here — is dropped, as is anything from a peer that is
 * not trusted. Nothing a peer sends reaches a room it was not given, and no share merges.
 */
export function registerCollabPeerWire(deps: {
  hub: PeerHub;
  collab: CollabService;
  log: Logger;
}): () => void {
  const { hub, collab, log } = deps;
  const self = collab.nodeId;
  const drop = (peer: PeerSession, key: string, why: string) => {
    log.debug(`collab frame dropped: ${why}`, { node: peer.peerId, room: key });
    return undefined;
  };
  /** The room a sync or update is about, when the sender may touch it. */
  const roomFor = (peer: PeerSession, key: string, owner: string): CollabRoom | undefined => {
    if (!hub.isTrusted(peer.peerId)) return drop(peer, key, "peer not trusted");
    if (owner === self) {
      const room = collab.room(key);
      return room?.sharedWith.has(peer.peerId) ? room : drop(peer, key, "room not shared with the peer");
    }
    if (owner !== peer.peerId) return drop(peer, key, "room of a third node");
    const room = collab.roomOf(owner, key);
    return room?.access === "guest" ? room : drop(peer, key, "room not open here");
  };
  const guard = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      if (!(err instanceof CollabUpdateError || err instanceof AwarenessUpdateError)) throw err;
      log.info("bad collab frame from a peer", { error: err.message });
    }
  };

  hub.handle("collab_share", collabShareData, (peer, data) => {
    if (!hub.isTrusted(peer.peerId)) return;
    const refused = collab.received({ id: peer.peerId, name: peer.peerName }, data.room, data.title);
    if (refused) peer.send("error", { code: "share_refused", message: refused });
  });

  hub.handle("collab_unshare", collabUnshareData, (peer, data) => {
    if (!hub.isTrusted(peer.peerId)) return;
    if (data.owner === self) {
      // A guest removed its copy: stop sharing with it.
      const room = collab.room(data.room);
      if (room?.sharedWith.delete(peer.peerId)) {
        collab.unlinked(room, peer.peerId);
        collab.sharingChanged(room);
      }
      return;
    }
    if (data.owner !== peer.peerId) return;
    const room = collab.roomOf(peer.peerId, data.room);
    if (room && room.access !== "revoked") collab.revoked(room, peer.peerName);
  });

  hub.handle("collab_sync", collabSyncData, (peer, data) =>
    guard(() => {
      const room = roomFor(peer, data.room, data.owner);
      if (!room) return;
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
  );

  hub.handle("collab_update", collabUpdateData, (peer, data) =>
    guard(() => {
      roomFor(peer, data.room, data.owner)?.apply(data.update, { kind: "peer", nodeId: peer.peerId });
    }),
  );

  // Only from a peer that has the room open on this link, like the edits it goes along with.
  hub.handle("collab_awareness", collabAwarenessData, (peer, data) =>
    guard(() => {
      const room = roomFor(peer, data.room, data.owner);
      if (room?.linked.has(peer.peerId))
        collab.awareness(room, data.update, { kind: "peer", nodeId: peer.peerId });
    }),
  );

  return hub.on({
    peerOnline: (id) => collab.peerLinkChanged(id, true),
    peerOffline: (id) => collab.peerLinkChanged(id, false),
  });
}
