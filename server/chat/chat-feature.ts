import { chatClientEvent, chatMessageData, chatReceiptData } from "../../protocol/chat.ts";
import { browserChannel, defineFeature, peerMessageType } from "../features/feature.ts";
import { chatRoutes } from "./chat-routes.ts";
import { ChatService } from "./chat-service.ts";
import { chatSettings, maxMessageBytes } from "./chat-settings.ts";
import { MessageStore } from "./message-store.ts";

/**
 * 1:1 chat with offline delivery: the `chat` channel, `chat_message` / `chat_receipt` on the peer
 * wire, `GET /api/chat/:node_id/messages`. A message is confirmed only after it is stored here,
 * and confirmed again if it comes again, so the sender marks `delivered` only what this node holds.
 */
export const chatFeature = defineFeature({
  name: "chat",
  settings: chatSettings,
  create(ctx) {
    const hub = ctx.fabric.hub;
    const chat = new ChatService({
      hub,
      browsers: ctx.browsers,
      store: new MessageStore(ctx.db, ctx.identity.nodeId),
      log: ctx.log,
      maxMessageBytes: () => ctx.settings.get(maxMessageBytes),
    });
    ctx.browsers.onClose((socket) => chat.tabClosed(socket));
    let offHub = () => {};
    return {
      api: chat,
      channel: browserChannel({ name: "chat", schema: chatClientEvent, handle: (s, m) => chat.onTab(s, m) }),
      peerTypes: [
        peerMessageType("chat_message", chatMessageData, (peer, data) => {
          const status = chat.received(peer.peerId, data.id, data.text, data.ts);
          peer.send("chat_receipt", {
            ids: [data.id],
            status,
            ...(status === "failed" ? { reason: "larger than this node accepts" } : {}),
          });
        }),
        peerMessageType("chat_receipt", chatReceiptData, (peer, data) => {
          chat.receipt(peer.peerId, data.ids, data.status);
        }),
      ],
      routes: { mount: "chat", app: chatRoutes(hub, chat) },
      start() {
        // Redeliver on every fresh link.
        offHub = hub.on({ peerOnline: (id) => chat.linked(id) });
      },
      stop() {
        offHub();
      },
    };
  },
});
