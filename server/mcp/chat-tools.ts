import { randomBytes } from "node:crypto";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { ChatMessage } from "../../protocol/chat.ts";
import type { PeerRow } from "../../protocol/network.ts";
import { nodeId } from "../../protocol/primitives.ts";
import { ChatRefused, type ChatService } from "../chat/chat-service.ts";
import { jsonResult, noSuchPeer, toolError } from "./tool-results.ts";

/** What the chat tools use: the chat service the Chat pane uses, and the peer rows. */
export interface ChatToolDeps {
  chat: Pick<ChatService, "send" | "page">;
  peer(nodeId: string): PeerRow | undefined;
}

/** Most messages one `read_chat` returns (the REST route's limit too). */
export const MAX_READ = 200;

function messageView(m: ChatMessage) {
  return {
    id: m.id,
    seq: m.seq,
    direction: m.direction,
    from: m.from,
    text: m.text,
    ts: m.ts,
    status: m.status,
  };
}

const peerId = nodeId.describe("The peer's node id, as list_peers gives it");

export function registerChatTools(server: McpServer, d: ChatToolDeps): void {
  server.registerTool(
    "send_chat",
    {
      title: "Send a chat message (sends it to the peer)",
      description:
        "Sends a message in the 1:1 chat with a paired peer, exactly as the Chat pane does: it goes " +
        "at once when the peer is connected and waits in the outbox (status queued) when it is not. " +
        "Returns the message id and status. The message leaves this machine.",
      inputSchema: {
        peer_id: peerId,
        text: z.string().min(1, "text must not be empty").describe("The message, in plain text"),
      },
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: true,
      },
    },
    ({ peer_id, text }) => {
      if (!d.peer(peer_id)) return noSuchPeer(peer_id);
      try {
        // A client id of its own, as each tab has, so the Chat pane can tell the sender apart.
        const message = d.chat.send(peer_id, text, `mcp-${randomBytes(8).toString("hex")}`);
        // `send` returns the message as stored (queued); it may have gone out since, synchronously.
        const now = d.chat.page(peer_id, 1).messages.find((m) => m.id === message.id) ?? message;
        return jsonResult({ id: now.id, seq: now.seq, status: now.status, ts: now.ts });
      } catch (err) {
        if (err instanceof ChatRefused) return toolError(`not sent: ${err.message}`);
        throw err;
      }
    },
  );

  server.registerTool(
    "read_chat",
    {
      title: "Read a chat",
      description:
        "The 1:1 conversation with a peer, newest last: the latest `limit` messages, or those before " +
        "the message whose seq is `before` (for earlier pages). has_more says whether older ones exist.",
      inputSchema: {
        peer_id: peerId,
        limit: z
          .int("limit must be a whole number")
          .min(1, "limit must be at least 1")
          .max(MAX_READ, `limit must be at most ${MAX_READ}`)
          .optional()
          .describe(`How many messages, 1 to ${MAX_READ} (default 50)`),
        before: z
          .int("before must be a message seq")
          .min(1, "before must be a message seq (1 or more)")
          .optional()
          .describe("Only messages older than the one with this seq"),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ peer_id, limit, before }) => {
      const row = d.peer(peer_id);
      if (!row) return noSuchPeer(peer_id);
      const page = d.chat.page(peer_id, limit ?? 50, before);
      return jsonResult({
        peer_id,
        name: row.node_name,
        messages: page.messages.map(messageView),
        has_more: page.hasMore,
      });
    },
  );
}
