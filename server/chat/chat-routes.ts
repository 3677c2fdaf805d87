import { Hono } from "hono";
import type { ChatPage } from "../../protocol/chat.ts";
import type { ApiError } from "../../protocol/rest.ts";
import type { PeerHub } from "../fabric/peer-hub.ts";
import type { HttpEnv } from "../http/context.ts";
import { isNodeId } from "../identity/node-id.ts";
import type { ChatService } from "./chat-service.ts";

/** `GET /api/chat/:node_id/messages?before=<seq>&limit=<n>`: pages a conversation, oldest first. */
export function chatRoutes(hub: PeerHub, chat: ChatService) {
  return new Hono<HttpEnv>().get("/:node_id/messages", (c) => {
    const nodeId = c.req.param("node_id");
    if (!isNodeId(nodeId))
      return c.json({ error: "not a node id", field: "node_id" } satisfies ApiError, 400);
    const limit = Number(c.req.query("limit") ?? 50);
    if (!Number.isInteger(limit) || limit < 1 || limit > 200) {
      return c.json(
        { error: "limit must be a whole number from 1 to 200", field: "limit" } satisfies ApiError,
        400,
      );
    }
    const beforeRaw = c.req.query("before");
    const before = beforeRaw === undefined ? undefined : Number(beforeRaw);
    if (before !== undefined && (!Number.isInteger(before) || before < 1)) {
      return c.json({ error: "before must be a message seq", field: "before" } satisfies ApiError, 400);
    }
    if (!hub.row(nodeId)) return c.json({ error: `no peer ${nodeId}` } satisfies ApiError, 404);
    return c.json(chat.page(nodeId, limit, before) satisfies ChatPage);
  });
}
