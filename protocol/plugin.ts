import { z } from "zod";
import { nodeId } from "./primitives.ts";

/**
 * What a third-party pane may ask for in its `pane.json` (`permissions`), each granted or refused
 * by its person (docs/architecture.md, "Plugins in a sandbox"). Without any, a plugin draws in its
 * own frame and uses its own collab rooms on this node: nothing else of the node reaches it.
 */
export const pluginPermission = z.enum([
  /** Share its own rooms with peers and stop sharing them (what is in them goes to those peers). */
  "collab",
  /** The names and link status of this node's peers; no ids, keys or addresses. */
  "peers:read",
  /** A notice in the inbox (and a toast), titled with the plugin's name. */
  "notify",
  /** A chat message, sent to a peer the person picks at the moment of sending. */
  "chat:send",
]);
export type PluginPermission = z.infer<typeof pluginPermission>;

/** Words for people, shown where they allow or refuse a permission and in Settings. */
export const PERMISSION_WORDS: Record<PluginPermission, string> = {
  collab: "Share its own shared panes with your peers",
  "peers:read": "See your peers' names and whether they are online",
  notify: "Put notices in your inbox",
  "chat:send": "Send a chat message to a peer you pick each time",
};

/** The manifest field: each permission at most once. */
export const pluginPermissions = z
  .array(pluginPermission)
  .max(pluginPermission.options.length)
  .refine((list) => new Set(list).size === list.length, "lists a permission twice");

/** A content-security-policy violation the browser reported from a plugin's frame. */
export const pluginViolation = z.object({
  /** The directive that stopped it, e.g. `connect-src`. */
  directive: z.string(),
  /** What was stopped: a URL, or `inline` / `eval`. */
  blocked: z.string(),
  at: z.number(),
});
export type PluginViolation = z.infer<typeof pluginViolation>;

/** One installed plugin as `GET /api/plugins` lists it. */
export const pluginRow = z.object({
  id: z.string(),
  name: z.string(),
  version: z.string(),
  icon: z.string().optional(),
  description: z.string().optional(),
  /** What its `pane.json` asks for (empty for a refused plugin). */
  permissions: z.array(pluginPermission),
  /** What its person allowed; always a subset of `permissions`. */
  granted: z.array(pluginPermission),
  /** False until its person answered the question of what to allow (asked once, when it asks for any). */
  decided: z.boolean(),
  /** False when its person turned it off: it is not served and its pane does not open. */
  enabled: z.boolean(),
  /** Why the node refused it (a bad `pane.json`); absent when it is usable. */
  error: z.string().optional(),
  /** What its frame tried and the browser blocked, newest last, with the count of all of them. */
  blocked: z.object({ count: z.number(), recent: z.array(pluginViolation) }),
});
export type PluginRow = z.infer<typeof pluginRow>;

export const pluginsResponse = z.object({ plugins: z.array(pluginRow) });
export type PluginsResponse = z.infer<typeof pluginsResponse>;

/** `PUT /api/plugins/:id/grants`: what the person allows; anything not listed is refused. */
export const pluginGrantsRequest = z.strictObject({ granted: z.array(pluginPermission).max(8) });
/** `PUT /api/plugins/:id/enabled`. */
export const pluginEnabledRequest = z.strictObject({ enabled: z.boolean() });

/** `GET /api/plugins/:id/peers` (needs `peers:read`): names and status only. */
export const pluginPeersResponse = z.object({
  peers: z.array(z.object({ name: z.string(), status: z.enum(["online", "offline"]) })),
});
export type PluginPeersResponse = z.infer<typeof pluginPeersResponse>;

/** `POST /api/plugins/:id/notices` (needs `notify`). */
export const pluginNoticeRequest = z.strictObject({ text: z.string().trim().min(1).max(500) });

/** `POST /api/plugins/:id/chat` (needs `chat:send`); the peer is the one the person picked. */
export const pluginChatRequest = z.strictObject({
  peer_id: nodeId,
  text: z.string().trim().min(1).max(4000),
});
