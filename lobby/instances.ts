import type { BackplaneHealth, BackplaneListener, HeldNode } from "./backplane/backplane.ts";
import { CLOSE, type Connection } from "./connection.ts";
import { heldEntry } from "./directory.ts";
import type { LobbyCore } from "./lobby-core.ts";
import { arrived } from "./relay.ts";

/**
 * What the lobby's other instances tell this one, through the backplane: frames for the nodes
 * it holds, their own nodes coming, changing and going (kept in `core.remote` and listed in the
 * directory beside this instance's, so deltas and `registered` cover every instance), a node of
 * this instance's registered since on another one, the guests of rooms held here that went
 * with their instance, and rooms held elsewhere that went with theirs. Every handler is synchronous and contained: none may throw.
 */
export function backplaneListener(core: LobbyCore): BackplaneListener {
  return {
    delivery: (to, frame) => arrived(core, to, frame),
    nodeChanged: (node) => nodeChanged(core, node),
    nodeLeft: (id) => nodeLeft(core, id),
    replaced: (id) => replacedElsewhere(core, id),
    guestExpired: (roomId, guest) => {
      const host = core.rooms.get(roomId)?.host;
      if (!host) return;
      core.listing.invalidate();
      core.tell(host, JSON.stringify({ type: "peer_left", room_id: roomId, node_id: guest }));
    },
    seatLost: (roomId, guest) => {
      const member = core.directory.get(guest);
      // Told already when its host closed it: the frame that said so cleared the place.
      if (!member?.joined.delete(roomId)) return;
      core.listing.invalidate();
      core.tell(
        guest,
        JSON.stringify({ type: "room_closed", room_id: roomId, reason: "the room's host is gone" }),
      );
    },
    health: (status: BackplaneHealth) => {
      // Back after an outage: the listing is read anew, with what every instance published again.
      if (status === "ok") core.listing.invalidate();
    },
  };
}

function nodeChanged(core: LobbyCore, node: HeldNode): void {
  const id = node.nodeId;
  // The backplane says `replaced` before it tells of this instance's node elsewhere: one held
  // here still is a registration here the backplane has not weighed yet.
  if (core.directory.get(id)) return;
  core.remote.set(id, node);
  if (node.listed) {
    const entry = JSON.stringify(heldEntry(node));
    const before = core.directory.entry(id);
    if (before !== entry) {
      if (core.directory.listEntry(id, entry)) core.changes.listed(id, entry);
      else {
        core.log.debug("lobby: the directory is full; a node of another instance is not listed here", { id });
        if (before !== undefined) core.changes.gone(id);
      }
    }
  } else if (core.directory.unlist(id)) core.changes.gone(id);
  // A host registered on another instance is back: its rooms here stay (unless it restores them there).
  core.hostBackElsewhere(id);
  core.recheckLater(id);
}

function nodeLeft(core: LobbyCore, id: string): void {
  if (!core.remote.delete(id)) return;
  if (core.directory.unlist(id)) core.changes.gone(id);
  if (core.rooms.countHostedBy(id) > 0) {
    core.listing.invalidate();
    core.hostGone(id);
  }
}

/** A node of this instance's registered on another since: its socket here goes, as `replaced`. */
function replacedElsewhere(core: LobbyCore, id: string): void {
  const member = core.directory.get(id);
  if (!member) return;
  const conn = member.socket as Connection;
  conn.replaced = true;
  conn.member = undefined;
  // Listed again at once by the `nodeChanged` that follows, so the others hear one presence.
  if (core.directory.remove(id)) core.changes.gone(id);
  conn.send({ type: "goodbye", reason: "replaced" });
  conn.close(CLOSE.replaced, "replaced");
}
