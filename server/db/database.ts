import { Database } from "bun:sqlite";
import { type BunSQLiteDatabase, drizzle } from "drizzle-orm/bun-sqlite";
import { migrate } from "drizzle-orm/bun-sqlite/migrator";
import { StartupError } from "../errors.ts";
import { RESOURCES, resourcePath } from "../resources.ts";
import * as schema from "./schema.ts";

export type WeftDb = BunSQLiteDatabase<typeof schema>;

/** What a database is made of: its drizzle schema and the folder of its migrations. */
export interface DatabaseSpec<S extends Record<string, unknown>> {
  schema: S;
  /** Resolved when the database opens: inside the binary it is an embedded asset. */
  migrationsFolder: () => string;
}

/** The node's own database: `weft.db` with the migrations embedded in the binary. */
export const nodeDatabase: DatabaseSpec<typeof schema> = {
  schema,
  migrationsFolder: () => resourcePath(RESOURCES.migrations),
};

/** An open SQLite database: drizzle for queries, the raw handle for lifecycle. */
export interface OpenDatabase<S extends Record<string, unknown> = typeof schema> {
  db: BunSQLiteDatabase<S>;
  sqlite: Database;
  /** Checkpoints the WAL into the main file and closes; safe to call twice. */
  close(): void;
}

/**
 * Opens a database file in WAL mode and applies the spec's migrations (the node's by default).
 * Applying them again is a no-op, so every start runs this.
 */
export function openDatabase<S extends Record<string, unknown> = typeof schema>(
  file: string,
  spec: DatabaseSpec<S> = nodeDatabase as unknown as DatabaseSpec<S>,
): OpenDatabase<S> {
  let sqlite: Database;
  try {
    sqlite = new Database(file, { create: true, strict: true });
    sqlite.exec("PRAGMA journal_mode = WAL");
    // WAL with NORMAL sync is durable across process crashes; only an OS crash can lose the last commit.
    sqlite.exec("PRAGMA synchronous = NORMAL");
    sqlite.exec("PRAGMA foreign_keys = ON");
    sqlite.exec("PRAGMA busy_timeout = 2000");
  } catch (err) {
    throw new StartupError(`cannot open database ${file}: ${(err as Error).message}`);
  }
  const db = drizzle(sqlite, { schema: spec.schema });
  try {
    migrate(db, { migrationsFolder: spec.migrationsFolder() });
  } catch (err) {
    sqlite.close();
    throw new StartupError(`cannot migrate database ${file}: ${(err as Error).message}`);
  }
  let closed = false;
  return {
    db,
    sqlite,
    close() {
      if (closed) return;
      closed = true;
      try {
        sqlite.exec("PRAGMA wal_checkpoint(TRUNCATE)");
      } finally {
        sqlite.close();
      }
    },
  };
}
