import { eq } from "drizzle-orm";
import type { WeftDb } from "../db/database.ts";
import { collabRooms } from "../db/schema.ts";

export interface StoredRoom {
  state: Uint8Array;
  rev: number;
  sharedWith: string[];
}

/** Rooms in SQLite: the document as one merged Yjs update, so a restart loses nothing saved. */
export class RoomStore {
  readonly #db: WeftDb;

  constructor(db: WeftDb) {
    this.#db = db;
  }

  load(key: string): StoredRoom | undefined {
    const row = this.#db.select().from(collabRooms).where(eq(collabRooms.roomKey, key)).get();
    if (!row) return undefined;
    let sharedWith: string[] = [];
    try {
      const parsed: unknown = JSON.parse(row.sharedWithJson);
      if (Array.isArray(parsed)) sharedWith = parsed.filter((x): x is string => typeof x === "string");
    } catch {
      // A damaged list only loses who the room was shared with, never its text.
    }
    return { state: new Uint8Array(row.state), rev: row.rev, sharedWith };
  }

  save(key: string, room: StoredRoom): void {
    const values = {
      state: Buffer.from(room.state),
      rev: room.rev,
      sharedWithJson: JSON.stringify(room.sharedWith),
      updatedAt: Date.now(),
    };
    this.#db
      .insert(collabRooms)
      .values({ roomKey: key, ...values })
      .onConflictDoUpdate({ target: collabRooms.roomKey, set: values })
      .run();
  }

  /** Keys of every stored room shared with `nodeId`, for catch-up when it reconnects. */
  keysSharedWith(nodeId: string): string[] {
    return this.#db
      .select({ key: collabRooms.roomKey, shared: collabRooms.sharedWithJson })
      .from(collabRooms)
      .all()
      .filter((r) => r.shared.includes(`"${nodeId}"`))
      .map((r) => r.key);
  }
}
