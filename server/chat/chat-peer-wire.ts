import { chatMessageData, chatReceiptData } from "../../protocol/chat.ts";
import type { PeerHub } from "../fabric/peer-hub.ts";
import type { ChatService } from "./chat-service.ts";

/**
 * `chat_message` and `chat_receipt` on the peer wire. A message is confirmed only after it is
 * stored here, and confirmed again if it comes again, so the sender can mark `delivered` only
 * for what this node really holds.
 */
export function registerChatPeerWire(hub: PeerHub, chat: ChatService): () => void {
  hub.handle("chat_message", chatMessageData, (peer, data) => {
    if (!hub.isTrusted(peer.peerId)) return;
    const status = chat.received(peer.peerId, data.id, data.text, data.ts);
    peer.send("chat_receipt", {
      ids: [data.id],
      status,
      ...(status === "failed" ? { reason: "larger than this node accepts" } : {}),
    });
  });
  hub.handle("chat_receipt", chatReceiptData, (peer, data) => {
    chat.receipt(peer.peerId, data.ids, data.status);
  });
  // Redeliver on every fresh link.
  return hub.on({ peerOnline: (id) => chat.linked(id) });
}
