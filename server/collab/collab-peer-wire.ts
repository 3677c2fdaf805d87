import {
  collabShareData,
  collabSyncData,
  collabUnshareData,
  collabUpdateData,
} from "../../protocol/collab.ts";
import type { PeerHub } from "../fabric/peer-hub.ts";
import type { PeerSession } from "../fabric/peer-session.ts";
import type { Logger } from "../log.ts";
import { CollabUpdateError } from "./collab-room.ts";
import type { CollabService } from "./collab-service.ts";

/**
 * The `collab_*` peer messages (DESIGN section 8). A frame about a room the sender is not in —
 * never shared with it, or unshared since — is dropped, as is anything from a peer that is not
 * trusted; nothing a peer sends reaches a room it was not given.
 */
export function registerCollabPeerWire(deps: {
  hub: PeerHub;
  collab: CollabService;
  log: Logger;
}): () => void {
  const { hub, collab, log } = deps;
  const inRoom = (peer: PeerSession, key: string) => {
    const room = collab.room(key);
    if (room?.sharedWith.has(peer.peerId) && hub.isTrusted(peer.peerId)) return room;
    log.debug("collab frame for a room the peer is not in", { node: peer.peerId, room: key });
    return undefined;
  };
  const guard = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      if (!(err instanceof CollabUpdateError)) throw err;
      log.info("bad collab frame from a peer", { error: err.message });
    }
  };

  hub.handle("collab_share", collabShareData, (peer, data) => {
    if (!hub.isTrusted(peer.peerId)) return;
    const room = collab.room(data.room);
    if (!room) {
      peer.send("error", { code: "unknown_pane", message: `no pane for room ${data.room} here` });
      return;
    }
    const fresh = !room.sharedWith.has(peer.peerId);
    room.sharedWith.add(peer.peerId);
    collab.sharingChanged(room);
    if (fresh) collab.announceShared(room, { node_id: peer.peerId, node_name: peer.peerName });
  });

  hub.handle("collab_unshare", collabUnshareData, (peer, data) => {
    const room = inRoom(peer, data.room);
    if (!room) return;
    room.sharedWith.delete(peer.peerId);
    collab.sharingChanged(room);
  });

  hub.handle("collab_sync", collabSyncData, (peer, data) =>
    guard(() => {
      const room = inRoom(peer, data.room);
      if (!room) return;
      if (data.update !== undefined) room.apply(data.update, { kind: "peer", nodeId: peer.peerId });
      if (data.sv === undefined) return;
      // An opener (no update) is answered with our vector too, so the exchange runs both ways once.
      const answer = {
        room: room.key,
        update: room.diffFor(data.sv),
        ...(data.update === undefined ? { sv: room.stateVectorB64() } : {}),
      };
      peer.send("collab_sync", answer);
    }),
  );

  hub.handle("collab_update", collabUpdateData, (peer, data) =>
    guard(() => {
      inRoom(peer, data.room)?.apply(data.update, { kind: "peer", nodeId: peer.peerId });
    }),
  );

  return hub.on({
    peerOnline: (id) => collab.peerLinkChanged(id, true),
    peerOffline: (id) => collab.peerLinkChanged(id, false),
  });
}
