import { createHash, timingSafeEqual } from "node:crypto";
import { eq } from "drizzle-orm";
import type { RoomPolicy, RoomVisibility } from "../../protocol/lobby.ts";
import type { WeftDb } from "../db/database.ts";
import { lobbyRooms } from "../db/schema.ts";

/** A room this node hosts: what it told the lobby, and its own copy of the token. */
export interface HostedRoomRecord {
  roomId: string;
  name: string;
  visibility: RoomVisibility;
  policy: RoomPolicy;
  token: string | null;
  createdAt: number;
}

/** sha256 of a room token as lowercase hex: what the lobby keeps instead of the token. */
export const tokenHash = (token: string) => createHash("sha256").update(token).digest("hex");

/**
 * The rooms this node hosts, kept in SQLite so they come back (same id, same token) after the
 * lobby or this node restarts. The host checks a guest's token against its own copy here: the
 * lobby's word that a guest had the token is never enough.
 */
export class HostedRooms {
  readonly #db: WeftDb;

  constructor(db: WeftDb) {
    this.#db = db;
  }

  list(): HostedRoomRecord[] {
    return this.#db.select().from(lobbyRooms).all();
  }

  get(roomId: string): HostedRoomRecord | undefined {
    return this.#db.select().from(lobbyRooms).where(eq(lobbyRooms.roomId, roomId)).get();
  }

  /** Saves a room the lobby created or restored; a restored room keeps the token it had. */
  save(room: Omit<HostedRoomRecord, "createdAt" | "token"> & { token?: string | null }): HostedRoomRecord {
    const kept = this.get(room.roomId);
    const token = room.token ?? kept?.token ?? null;
    const row = { ...room, token, createdAt: kept?.createdAt ?? Date.now() };
    this.#db
      .insert(lobbyRooms)
      .values(row)
      .onConflictDoUpdate({
        target: lobbyRooms.roomId,
        set: { name: row.name, visibility: row.visibility, policy: row.policy, token },
      })
      .run();
    return row;
  }

  remove(roomId: string): boolean {
    return this.#db.delete(lobbyRooms).where(eq(lobbyRooms.roomId, roomId)).returning().all().length > 0;
  }

  /** The token room whose token this is, compared in constant time; undefined for none. */
  roomOfToken(token: string): HostedRoomRecord | undefined {
    const given = Buffer.from(tokenHash(token), "hex");
    return this.list().find(
      (r) =>
        r.policy === "token" &&
        r.token !== null &&
        timingSafeEqual(Buffer.from(tokenHash(r.token), "hex"), given),
    );
  }
}
