import { randomBytes } from "node:crypto";
import type { ServerDataOf, ServerEventOf } from "../../protocol/channels.ts";
import type { ChatClientEvent, ChatMessage, ChatStatus } from "../../protocol/chat.ts";
import type { PeerHub } from "../fabric/peer-hub.ts";
import type { Logger } from "../log.ts";
import { type BrowserHub, type BrowserSocket, channelSender } from "../ws/browser-hub.ts";
import type { MessageStore } from "./message-store.ts";

export const HISTORY_PAGE = 50;

export interface ChatDeps {
  hub: PeerHub;
  browsers: BrowserHub;
  store: MessageStore;
  log: Logger;
  maxMessageBytes(): number;
}

/** Why a message cannot be sent; shown to the user as is. */
export class ChatRefused extends Error {
  override readonly name = "ChatRefused";
}

/** Conversations one tab may have open at once (a pane each; more than any screen shows). */
export const MAX_VIEWED_PER_TAB = 32;

/**
 * 1:1 conversations. A message is stored before anything else happens to it, goes out at once
 * when the peer is linked and otherwise waits in the outbox (`queued`), and is resent in order on
 * every reconnect until the peer confirms it stored it — the peer stores by message id, so a
 * resend is never a duplicate. Tabs that show a conversation get it live.
 */
export class ChatService {
  readonly #d: ChatDeps;
  /** Typed sends on the `chat` channel, made once: every edit and message goes through it. */
  readonly #tabs: ReturnType<typeof channelSender<"chat">>;
  /** Which conversations each tab shows now. */
  readonly #viewing = new Map<BrowserSocket, Set<string>>();

  constructor(deps: ChatDeps) {
    this.#d = deps;
    this.#tabs = channelSender(deps.browsers, "chat");
  }

  /** A frame of a tab on the `chat` channel, already parsed. */
  onTab(socket: BrowserSocket, msg: ChatClientEvent) {
    switch (msg.event) {
      case "open": {
        const set = this.#viewing.get(socket) ?? new Set<string>();
        set.delete(msg.data.nodeId);
        set.add(msg.data.nodeId);
        // A tab shows a few conversations at once; the one it opened longest ago gives way, so
        // no stream of `open`s grows what the node keeps per tab.
        for (const old of set) {
          if (set.size <= MAX_VIEWED_PER_TAB) break;
          set.delete(old);
        }
        this.#viewing.set(socket, set);
        const page = this.#d.store.page(msg.data.nodeId, HISTORY_PAGE);
        return this.#send(socket, "history", {
          nodeId: msg.data.nodeId,
          messages: page.rows.map((r) => this.#d.store.toMessage(r)),
          unread: this.#d.store.unreadCounts()[msg.data.nodeId] ?? 0,
          hasMore: page.hasMore,
        });
      }
      case "close":
        this.#viewing.get(socket)?.delete(msg.data.nodeId);
        return;
      case "send":
        try {
          this.send(msg.data.nodeId, msg.data.text, msg.data.clientId, socket);
        } catch (err) {
          if (!(err instanceof ChatRefused)) throw err;
          this.#send(socket, "error", {
            message: err.message,
            nodeId: msg.data.nodeId,
            clientId: msg.data.clientId,
          });
        }
        return;
      case "read":
        return this.read(msg.data.nodeId, msg.data.upTo);
      case "list_unread":
        return this.#send(socket, "unread", { counts: this.#d.store.unreadCounts() });
      default: {
        const never: never = msg;
        return never;
      }
    }
  }

  /** A tab went away: it shows no conversation any more. */
  tabClosed(socket: BrowserSocket): void {
    this.#viewing.delete(socket);
  }

  /** A page of a conversation for `GET /api/chat/:node_id/messages`, oldest first. */
  page(nodeId: string, limit: number, beforeSeq?: number): { messages: ChatMessage[]; hasMore: boolean } {
    const { rows, hasMore } = this.#d.store.page(nodeId, limit, beforeSeq);
    return { messages: rows.map((r) => this.#d.store.toMessage(r)), hasMore };
  }

  /** Stores and sends (or queues) a message; throws `ChatRefused` and stores nothing when it cannot. */
  send(nodeId: string, text: string, clientId: string, from?: BrowserSocket): ChatMessage {
    const { hub, store } = this.#d;
    if (text.trim() === "") throw new ChatRefused("the message is empty");
    const bytes = Buffer.byteLength(text);
    const max = this.#d.maxMessageBytes();
    if (bytes > max) throw new ChatRefused(`the message is ${kib(bytes)}; the limit is ${kib(max)}`);
    const peer = hub.row(nodeId);
    if (!peer?.trusted) throw new ChatRefused("you are not paired with that node");
    if (peer.blocked) throw new ChatRefused("that node is blocked; unblock it to chat");
    const row = store.addOutgoing(nodeId, randomBytes(16).toString("hex"), text, clientId);
    const message = store.toMessage(row);
    this.#toViewers(nodeId, "message", message, from);
    if (hub.send(nodeId, "chat_message", { id: row.id, text: row.text, ts: row.ts }))
      this.#advance(nodeId, [row.id], "sent");
    return message;
  }

  /** The user saw everything up to `upTo`: mark it read and tell the peer (now or on reconnect). */
  read(nodeId: string, upTo: string): void {
    const { store } = this.#d;
    const target = store.incoming(nodeId, upTo);
    if (!target) return;
    const ids = store.markRead(nodeId, target.seq);
    if (ids.length === 0) return;
    this.#sendReadReceipts(nodeId);
    this.#toViewers(nodeId, "receipt", { nodeId, ids, status: "read" });
    this.#broadcastUnread();
  }

  /** A message arrived from a peer; returns the receipt status to confirm it with. */
  received(nodeId: string, id: string, text: string, ts: number): "delivered" | "read" | "failed" {
    const { store } = this.#d;
    if (Buffer.byteLength(text) > this.#d.maxMessageBytes()) return "failed";
    const seen = this.#viewersOf(nodeId).length > 0;
    const row = store.addIncoming(nodeId, id, text, ts, seen ? "read" : "delivered");
    if (!row) return store.incoming(nodeId, id)?.status === "read" ? "read" : "delivered";
    this.#toViewers(nodeId, "message", store.toMessage(row));
    if (seen) store.receiptsSent(nodeId, [id]);
    else this.#broadcastUnread();
    return seen ? "read" : "delivered";
  }

  /** The peer confirmed (or refused) some of our messages. */
  receipt(nodeId: string, ids: string[], status: "delivered" | "read" | "failed"): void {
    this.#advance(nodeId, ids, status);
  }

  /** The peer is linked again: send what it has not confirmed, in order, and owed read receipts. */
  linked(nodeId: string): void {
    const { hub, store } = this.#d;
    const queued: string[] = [];
    for (const row of store.undelivered(nodeId)) {
      if (!hub.send(nodeId, "chat_message", { id: row.id, text: row.text, ts: row.ts })) return;
      if (row.status === "queued") queued.push(row.id);
    }
    this.#advance(nodeId, queued, "sent");
    this.#sendReadReceipts(nodeId);
  }

  #sendReadReceipts(nodeId: string): void {
    const pending = this.#d.store.pendingReadReceipts(nodeId);
    for (let i = 0; i < pending.length; i += 500) {
      const ids = pending.slice(i, i + 500);
      if (!this.#d.hub.send(nodeId, "chat_receipt", { ids, status: "read" })) return;
      this.#d.store.receiptsSent(nodeId, ids);
    }
  }

  #advance(nodeId: string, ids: string[], status: ChatStatus): void {
    const changed = this.#d.store.advance(nodeId, ids, status);
    if (changed.length > 0) this.#toViewers(nodeId, "receipt", { nodeId, ids: changed, status });
  }

  #viewersOf(nodeId: string): BrowserSocket[] {
    return [...this.#viewing].filter(([, set]) => set.has(nodeId)).map(([socket]) => socket);
  }

  /** To every tab showing the conversation, and the tab that caused it even if it does not. */
  #toViewers<E extends ServerEventOf<"chat">["event"]>(
    nodeId: string,
    event: E,
    data: ServerDataOf<"chat", E>,
    also?: BrowserSocket,
  ): void {
    const targets = new Set(this.#viewersOf(nodeId));
    if (also) targets.add(also);
    for (const socket of targets) this.#send(socket, event, data as never); // the same E, which TS cannot correlate here
  }

  #broadcastUnread(): void {
    this.#tabs.broadcast("unread", { counts: this.#d.store.unreadCounts() });
  }

  #send<E extends ServerEventOf<"chat">["event"]>(
    socket: BrowserSocket,
    event: E,
    data: ServerDataOf<"chat", E>,
  ): void {
    this.#tabs.send(socket, event, data);
  }
}

function kib(bytes: number): string {
  return bytes < 1024 ? `${bytes} bytes` : `${(bytes / 1024).toFixed(1)} KiB`;
}
