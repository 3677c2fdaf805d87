import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type * as Y from "yjs";
import { COLLAB_META, COLLAB_TEXT, type RoomListing, roomAddress } from "../../protocol/collab.ts";
import type { CollabService } from "../collab/collab-service.ts";
import { jsonResult, toolError } from "./tool-results.ts";

/** Most characters `read_shared_pane` returns; the rest is cut and said so. */
export const MAX_PANE_CHARS = 1_000_000;

/** What the pane tools use: the collab service's rooms and the panes that have rooms. */
export interface PaneToolDeps {
  collab: Pick<CollabService, "listing" | "room" | "releaseIfIdle">;
  /** The panes on this node that declare `collab`, with their titles. */
  roomPanes(): Array<{ id: string; title: string }>;
  self(): { node_id: string; name: string };
}

type NodeView = { node_id: string; name: string };

/** A room is shared when it is mine and shared with someone, or another node's shared with me. */
const isShared = (r: RoomListing) => r.owner !== null || r.sharedWith.length > 0;

/** The text of a room's document, or the names of what it holds instead when it keeps no text. */
function textOf(doc: Y.Doc): { text: string } | { holds: string[] } {
  const others = [...doc.share.keys()].filter((k) => k !== COLLAB_TEXT && k !== COLLAB_META);
  if (!doc.share.has(COLLAB_TEXT) && others.length > 0) return { holds: others };
  try {
    return { text: doc.getText(COLLAB_TEXT).toString() };
  } catch {
    // `text` is defined there as another kind of shared type: a pane that is not a text pane.
    return { holds: [COLLAB_TEXT, ...others] };
  }
}

const NOTES: Partial<Record<RoomListing["access"], string>> = {
  invited: "an invitation this node has not opened yet: open it in its pane to fetch the owner's text",
  revoked: "the owner stopped sharing it: this is the last text this node received",
};

export function registerPaneTools(server: McpServer, d: PaneToolDeps): void {
  const sharedRooms = () => {
    const self = d.self();
    return d.roomPanes().flatMap((pane) =>
      d.collab
        .listing(pane.id)
        .filter(isShared)
        .map((r) => {
          const owner: NodeView = r.owner ? { node_id: r.owner.node_id, name: r.owner.node_name } : self;
          const guests = r.sharedWith.map((p) => ({ node_id: p.node_id, name: p.node_name }));
          return {
            room: r.paneKey,
            pane_id: pane.id,
            pane_title: pane.title,
            title: r.title,
            owner,
            mine: r.owner === null,
            access: r.access,
            // Who this node knows has the room: the owner, then its guests (a guest knows only itself).
            members: r.owner === null ? [self, ...guests] : [owner, self],
            updated_at: r.updatedAt,
          };
        }),
    );
  };

  server.registerTool(
    "list_shared_panes",
    {
      title: "List shared panes",
      description:
        "Shared panes on this node: rooms of this node shared with peers, and rooms peers shared with " +
        "this node. Each has its room address (for read_shared_pane), pane, title, owner and members.",
      inputSchema: {},
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    () => jsonResult({ rooms: sharedRooms() }),
  );

  server.registerTool(
    "read_shared_pane",
    {
      title: "Read a shared pane",
      description:
        "The current text of a shared pane's document (a Scratch note, say), by the room address " +
        "list_shared_panes gives.",
      inputSchema: { room: roomAddress.describe("The room address, as list_shared_panes gives it") },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ room: address }) => {
      const listed = sharedRooms().find((r) => r.room === address);
      if (!listed) {
        return toolError(`no shared pane ${address} on this node; list_shared_panes shows the shared ones`);
      }
      const room = d.collab.room(address);
      if (!room) return toolError(`the shared pane ${address} is gone from this node`);
      try {
        const content = textOf(room.doc);
        const base = { room: address, pane_id: listed.pane_id, title: listed.title, access: listed.access };
        const note = NOTES[listed.access];
        if ("holds" in content) {
          return toolError(
            `${address} is a ${listed.pane_title} pane, which keeps no text (its document holds ${content.holds.join(", ")})`,
          );
        }
        const truncated = content.text.length > MAX_PANE_CHARS;
        return jsonResult({
          ...base,
          text: truncated ? content.text.slice(0, MAX_PANE_CHARS) : content.text,
          ...(truncated ? { truncated: true, length: content.text.length } : {}),
          ...(note ? { note } : {}),
        });
      } finally {
        // Loaded only to be read: it goes back to SQLite unless a tab or a peer has it open.
        d.collab.releaseIfIdle(room);
      }
    },
  );
}
