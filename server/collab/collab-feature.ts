import { defineFeature } from "../features/feature.ts";
import { collabChannel } from "./collab-channel.ts";
import { collabPeerTypes } from "./collab-peer-wire.ts";
import { CollabService } from "./collab-service.ts";
import { RoomStore } from "./room-store.ts";

/**
 * Shared panes: owned Yjs rooms in SQLite, the `collab` channel for tabs and the `collab_*` peer
 * messages (docs/architecture.md, "Shared panes").
 */
export const collabFeature = defineFeature({
  name: "collab",
  create(ctx) {
    const { panes } = ctx;
    const hub = ctx.fabric.hub;
    const collab = new CollabService({
      hub,
      browsers: ctx.browsers,
      store: new RoomStore(ctx.db),
      log: ctx.log,
      nodeId: ctx.identity.nodeId,
      nodeName: ctx.nodeName,
      notify: (notice) => ctx.notices.add(notice),
      // Asked for every collab frame: a map lookup, not a scan of the listing.
      knowsPane: (id) => panes.usable(id) !== undefined,
      hostsRooms: (id) => panes.usable(id)?.collab !== undefined,
      paneTitle: (id) => panes.usable(id)?.title ?? id,
      autoShares: (id) => panes.usable(id)?.collab?.autoShare === true,
    });
    ctx.browsers.onClose((socket) => collab.tabClosed(socket));
    let offHub = () => {};
    return {
      api: collab,
      channel: collabChannel(collab, ctx.browsers),
      peerTypes: collabPeerTypes({ collab, log: ctx.log }),
      start() {
        offHub = hub.on({
          peerOnline: (id) => collab.peerLinkChanged(id, true),
          peerOffline: (id) => collab.peerLinkChanged(id, false),
        });
      },
      stop() {
        offHub();
        // Before the database closes: nothing typed is lost on a clean stop.
        collab.stop();
      },
    };
  },
});
