import { sql } from "drizzle-orm";
import { blob, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

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
  /** How trust was established: invite | open-lan | directory | room | dialed. */
  via: text("via").notNull(),
  /** Which paths the person allows for this peer: any | direct-only | never-relay. */
  pathPolicy: text("path_policy", { enum: ["any", "direct-only", "never-relay"] })
    .notNull()
    .default("any"),
  /** How this node answers the peer's agent questions: ask | always | never; null: `agent.defaultApproval`. */
  agentPolicy: text("agent_policy", { enum: ["ask", "always", "never"] }),
  trusted: integer("trusted", { mode: "boolean" }).notNull().default(false),
  blocked: integer("blocked", { mode: "boolean" }).notNull().default(false),
  lastSeen: integer("last_seen"),
  createdAt: integer("created_at").notNull(),
});

/**
 * How to reach a peer: typed paths (a transport and an address it understands), learned from an
 * invite, the peer's presence or a dial. Tried in order: the one that last worked first.
 */
export const peerPaths = sqliteTable(
  "peer_paths",
  {
    nodeId: text("node_id")
      .notNull()
      .references(() => peers.nodeId, { onDelete: "cascade" }),
    transport: text("transport").notNull(),
    address: text("address").notNull(),
    /** Where it was learned: invite | presence | dialed. */
    source: text("source").notNull(),
    learnedAt: integer("learned_at").notNull(),
    /** When a link over it last completed its handshake; null until one did. */
    workedAt: integer("worked_at"),
  },
  (t) => [primaryKey({ columns: [t.nodeId, t.transport, t.address] })],
);

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

/**
 * Trust and security events: pair, refuse, block, forget, key mismatch, rate-limit disconnect.
 * Repeats of an event anyone can cause are folded into one row per interval: `count` of them from
 * `ts` to `last_ts`, matched on `fold_key` (null for events that are never folded).
 */
export const auditLog = sqliteTable(
  "audit_log",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    ts: integer("ts").notNull(),
    event: text("event").notNull(),
    nodeId: text("node_id"),
    detailJson: text("detail_json").notNull().default("{}"),
    count: integer("count").notNull().default(1),
    lastTs: integer("last_ts").notNull().default(0),
    foldKey: text("fold_key"),
  },
  (t) => [
    index("audit_log_last_ts_idx").on(t.lastTs),
    index("audit_log_fold_idx").on(t.event, t.nodeId, t.foldKey, t.ts),
  ],
);

/**
 * Shared-pane rooms, mine and those other nodes shared with me, by owner and pane key. A room of
 * this node has `owner_id` ''; rows from before owners existed are therefore this node's own.
 * `title` mirrors the document's title for lists (and carries a share's title before it opens).
 */
export const collabRooms = sqliteTable(
  "collab_rooms",
  {
    ownerId: text("owner_id").notNull().default(""),
    roomKey: text("room_key").notNull(),
    /** owner | invited | guest | revoked: see `roomAccess` in protocol/collab.ts. */
    access: text("access", { enum: ["owner", "invited", "guest", "revoked"] })
      .notNull()
      .default("owner"),
    title: text("title").notNull().default(""),
    state: blob("state", { mode: "buffer" }).notNull(),
    rev: integer("rev").notNull(),
    sharedWithJson: text("shared_with_json").notNull().default("[]"),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.ownerId, t.roomKey] })],
);

/**
 * Chat messages of every conversation, both directions. `seq` orders a conversation on this node;
 * `id` is the author's message id, unique per conversation and direction, which is how a message
 * delivered twice is stored once.
 */
export const chatMessages = sqliteTable(
  "chat_messages",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull(),
    peerId: text("peer_id").notNull(),
    direction: text("direction", { enum: ["in", "out"] }).notNull(),
    text: text("text").notNull(),
    ts: integer("ts").notNull(),
    status: text("status", { enum: ["queued", "sent", "delivered", "read", "failed"] }).notNull(),
    clientId: text("client_id"),
    /** For `in`: whether the peer has been told it was read (sent when the link allows). */
    readReceiptSent: integer("read_receipt_sent", { mode: "boolean" }).notNull().default(false),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("chat_messages_peer_direction_id_idx").on(t.peerId, t.direction, t.id),
    index("chat_messages_peer_seq_idx").on(t.peerId, t.seq),
    // Only unread rows: unread counts run on every arrival and must not scan the whole history.
    index("chat_messages_unread_idx")
      .on(t.peerId)
      .where(sql`${t.direction} = 'in' AND ${t.status} = 'delivered'`),
  ],
);

/**
 * The inbox: things that happened while the user may not have been looking. `coalesce_key` lets a
 * repeating event (a blocked node knocking) update one row instead of piling up new ones.
 */
export const notices = sqliteTable(
  "notices",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    ts: integer("ts").notNull(),
    kind: text("kind").notNull(),
    peerNodeId: text("peer_node_id"),
    peerNodeName: text("peer_node_name"),
    text: text("text").notNull(),
    actionJson: text("action_json"),
    read: integer("read", { mode: "boolean" }).notNull().default(false),
    coalesceKey: text("coalesce_key"),
    count: integer("count").notNull().default(1),
  },
  (t) => [
    index("notices_ts_idx").on(t.ts),
    index("notices_coalesce_key_idx").on(t.coalesceKey, t.ts),
    index("notices_unread_idx").on(t.read).where(sql`${t.read} = 0`),
  ],
);

/**
 * Rooms this node hosts on its lobby, kept so they come back after the lobby or the node
 * restarts. The token is the host's own copy: it checks a guest's token against it in `auth`.
 */
export const lobbyRooms = sqliteTable("lobby_rooms", {
  roomId: text("room_id").primaryKey(),
  name: text("name").notNull(),
  visibility: text("visibility", { enum: ["public", "unlisted"] }).notNull(),
  policy: text("policy", { enum: ["open", "token"] }).notNull(),
  token: text("token"),
  createdAt: integer("created_at").notNull(),
});

/**
 * Questions for agents: asked of a peer by this node (`out`) or of this node by a peer (`in`),
 * with their decision and answer. A peer's request id is its own, so an `in` row is keyed by the
 * peer too: one peer cannot reach another's row by reusing an id. A repeat is answered from here.
 */
export const agentRequests = sqliteTable(
  "agent_requests",
  {
    direction: text("direction", { enum: ["out", "in"] }).notNull(),
    peerId: text("peer_id").notNull(),
    requestId: text("request_id").notNull(),
    prompt: text("prompt").notNull(),
    state: text("state").notNull(),
    answer: text("answer").notNull().default(""),
    /** Why it was rejected or failed. */
    error: text("error"),
    /** For `in`: how it was decided (the policy, the person, or the gate's reason). */
    decision: text("decision"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.direction, t.peerId, t.requestId] }),
    index("agent_requests_created_idx").on(t.createdAt),
  ],
);

/**
 * What the person allowed each third-party pane (docs/architecture.md, "Plugins in a sandbox").
 * `granted` and `answered` are JSON arrays of permissions: what is allowed, and what the person
 * was asked about (so a plugin that later asks for more is undecided about the new ones only).
 * Both are narrowed to what the plugin's current `pane.json` asks for. No row: nothing granted,
 * nothing answered, turned on.
 */
export const pluginGrants = sqliteTable("plugin_grants", {
  pluginId: text("plugin_id").primaryKey(),
  granted: text("granted").notNull().default("[]"),
  answered: text("answered").notNull().default("[]"),
  /** When the person last answered; null until they did. */
  decidedAt: integer("decided_at"),
  enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
  updatedAt: integer("updated_at").notNull(),
});
