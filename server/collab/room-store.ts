import { and, eq, like } from "drizzle-orm";
import type { RoomAccess, RoomRef } from "../../protocol/collab.ts";
import type { WeftDb } from "../db/database.ts";
import { collabRooms } from "../db/schema.ts";

export interface StoredRoom {
  state: Uint8Array;
  rev: number;
  sharedWith: string[];
  access: RoomAccess;
  title: string;
}

/** A stored room as a list shows it, without its document. */
export interface StoredRoomRow {
  ref: RoomRef;
  access: RoomAccess;
  title: string;
  sharedWith: string[];
  updatedAt: number;
}

/** The stored owner of a room: '' for this node's own (see the `collab_rooms` table). */
const ownerColumn = (ref: RoomRef) => ref.owner ?? "";

function parseSharedWith(json: string): string[] {
  try {
    const parsed: unknown = JSON.parse(json);
    if (Array.isArray(parsed)) return parsed.filter((x): x is string => typeof x === "string");
  } catch {
    // A damaged list only loses who the room was shared with, never its text.
  }
  return [];
}

/** Rooms in SQLite: the document as one merged Yjs update, so a restart loses nothing saved. */
export class RoomStore {
  readonly #db: WeftDb;

  constructor(db: WeftDb) {
    this.#db = db;
  }

  #where(ref: RoomRef) {
    return and(eq(collabRooms.ownerId, ownerColumn(ref)), eq(collabRooms.roomKey, ref.paneKey));
  }

  load(ref: RoomRef): StoredRoom | undefined {
    const row = this.#db.select().from(collabRooms).where(this.#where(ref)).get();
    if (!row) return undefined;
    return {
      state: new Uint8Array(row.state),
      rev: row.rev,
      sharedWith: parseSharedWith(row.sharedWithJson),
      access: row.access,
      title: row.title,
    };
  }

  save(ref: RoomRef, room: StoredRoom): void {
    const values = {
      state: Buffer.from(room.state),
      rev: room.rev,
      sharedWithJson: JSON.stringify(room.sharedWith),
      access: room.access,
      title: room.title,
      updatedAt: Date.now(),
    };
    this.#db
      .insert(collabRooms)
      .values({ ownerId: ownerColumn(ref), roomKey: ref.paneKey, ...values })
      .onConflictDoUpdate({ target: [collabRooms.ownerId, collabRooms.roomKey], set: values })
      .run();
  }

  delete(ref: RoomRef): void {
    this.#db.delete(collabRooms).where(this.#where(ref)).run();
  }

  /** Every stored room of one pane, mine and others', without documents. */
  list(paneId: string): StoredRoomRow[] {
    return this.#db
      .select({
        owner: collabRooms.ownerId,
        key: collabRooms.roomKey,
        access: collabRooms.access,
        title: collabRooms.title,
        shared: collabRooms.sharedWithJson,
        updatedAt: collabRooms.updatedAt,
      })
      .from(collabRooms)
      .where(like(collabRooms.roomKey, `${paneId}:%`))
      .all()
      .map((r) => ({
        ref: { paneKey: r.key, owner: r.owner === "" ? null : r.owner },
        access: r.access,
        title: r.title,
        sharedWith: parseSharedWith(r.shared),
        updatedAt: r.updatedAt,
      }));
  }

  /** Rooms of mine shared with `nodeId`, and rooms `nodeId` shared with me: catch-up on reconnect. */
  roomsWith(nodeId: string): RoomRef[] {
    return this.#db
      .select({ owner: collabRooms.ownerId, key: collabRooms.roomKey, shared: collabRooms.sharedWithJson })
      .from(collabRooms)
      .all()
      .filter((r) => r.owner === nodeId || (r.owner === "" && parseSharedWith(r.shared).includes(nodeId)))
      .map((r) => ({ paneKey: r.key, owner: r.owner === "" ? null : r.owner }));
  }
}
