import { blob, index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** User-changed settings only; a key without a row has its declared default. */
export const settings = sqliteTable("settings", {
  key: text("key").primaryKey(),
  valueJson: text("value_json").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/** Every node this one has paired with, been refused by, or blocked; the pinned key is the trust anchor. */
export const peers = sqliteTable("peers", {
  nodeId: text("node_id").primaryKey(),
  publicKey: text("public_key").notNull(),
  nodeName: text("node_name").notNull().default(""),
  /** How trust was established: invite | open-lan | directory | dialed. */
  via: text("via").notNull(),
  trusted: integer("trusted", { mode: "boolean" }).notNull().default(false),
  blocked: integer("blocked", { mode: "boolean" }).notNull().default(false),
  lastAddress: text("last_address"),
  lastSeen: integer("last_seen"),
  createdAt: integer("created_at").notNull(),
});

/** Invite tokens, stored hashed so a copy of the database cannot be used to pair. */
export const invites = sqliteTable(
  "invites",
  {
    tokenHash: text("token_hash").primaryKey(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    redeemedBy: text("redeemed_by"),
    redeemedAt: integer("redeemed_at"),
  },
  (t) => [index("invites_expires_at_idx").on(t.expiresAt)],
);

/** Trust and security events: pair, refuse, block, forget, key mismatch, rate-limit disconnect. */
export const auditLog = sqliteTable(
  "audit_log",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    ts: integer("ts").notNull(),
    event: text("event").notNull(),
    nodeId: text("node_id"),
    detailJson: text("detail_json").notNull().default("{}"),
  },
  (t) => [index("audit_log_ts_idx").on(t.ts)],
);

/** Shared-pane rooms: the Yjs document as one merged update, its rev and who it is shared with. */
export const collabRooms = sqliteTable("collab_rooms", {
  roomKey: text("room_key").primaryKey(),
  state: blob("state", { mode: "buffer" }).notNull(),
  rev: integer("rev").notNull(),
  sharedWithJson: text("shared_with_json").notNull().default("[]"),
  updatedAt: integer("updated_at").notNull(),
});
