import type { z } from "zod";
import {
  agentCancelData,
  agentReceiptData,
  agentRequestData,
  agentResultData,
  agentStreamData,
} from "./agent.ts";
import { chatMessageData, chatReceiptData } from "./chat.ts";
import {
  collabAwarenessData,
  collabShareData,
  collabSyncData,
  collabUnshareData,
  collabUpdateData,
} from "./collab.ts";
import { sessionData } from "./peer.ts";

/**
 * Every sealed peer message type with the schema of its `data`: the session's own (protocol/peer.ts
 * `sessionData`) and each feature's. The node's senders are typed by this table, so a misspelt
 * type is a type error rather than a frame the peer answers with `error`.
 */
export const peerMessages = {
  ...sessionData,
  chat_message: chatMessageData,
  chat_receipt: chatReceiptData,
  collab_share: collabShareData,
  collab_unshare: collabUnshareData,
  collab_sync: collabSyncData,
  collab_update: collabUpdateData,
  collab_awareness: collabAwarenessData,
  agent_request: agentRequestData,
  agent_receipt: agentReceiptData,
  agent_stream: agentStreamData,
  agent_result: agentResultData,
  agent_cancel: agentCancelData,
} as const;

export type PeerMessageName = keyof typeof peerMessages;
/** The `data` a sender passes for peer message type `T`. */
export type PeerDataOf<T extends PeerMessageName> = z.input<(typeof peerMessages)[T]>;
