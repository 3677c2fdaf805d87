import { systemServerEvent } from "../../protocol/browser.ts";
import { type ChatMessage, type ChatServerEvent, chatPage, chatServerEvent } from "../../protocol/chat.ts";
import { settingsValues } from "../../protocol/rest.ts";
import type { ChannelFrame, PaneHost } from "../sdk/index.ts";
import { checkDraft, MAX_TEXT_BYTES, readLimit } from "./chat-limits.ts";
import {
  emptyThread,
  newestIncoming,
  type Thread,
  withHistory,
  withMessage,
  withOlder,
  withoutPending,
  withPending,
  withReceipt,
  withStalePending,
} from "./thread-model.ts";

/** The last message of a conversation, for the conversation list. */
export interface Preview {
  text: string;
  ts: number;
  direction: "in" | "out";
}

export interface OlderState {
  loading: boolean;
  error: string | null;
}

/** Older messages fetched per scroll to the top. */
export const PAGE_SIZE = 50;

/**
 * This tab's side of the `chat` channel: the conversations it holds, which one the node has open
 * for it, drafts, and errors. At most one conversation is open on the node for this tab: `show()`
 * says which one the user can see right now (none while the pane or the browser tab is hidden),
 * and the session sends `open`/`close` to match, again after every reconnect since the node
 * forgets.
 */
export class ChatSession {
  threads = $state.raw<Readonly<Record<string, Thread>>>({});
  previews = $state.raw<Readonly<Record<string, Preview>>>({});
  /** When a conversation last got news this tab could not see (its unread count rose). */
  bumped = $state.raw<Readonly<Record<string, number>>>({});
  /** Per conversation: the last refusal or failure to show beside the composer. */
  errors = $state.raw<Readonly<Record<string, string>>>({});
  /** An error naming no conversation (e.g. the node has no chat), shown in the one on screen. */
  generalError = $state<string | null>(null);
  drafts = $state<Record<string, string>>({});
  older = $state.raw<Readonly<Record<string, OlderState>>>({});
  /** The node's message limit in UTF-8 bytes, from its settings; 16 KiB until they are read. */
  limit = $state(MAX_TEXT_BYTES);

  readonly #host: PaneHost;
  /** What the user can see now; null when nothing. */
  #wanted: string | null = null;
  /** What the node has open for this tab's socket. */
  #open: string | null = null;
  /** The last `read` sent per conversation, so each id goes out once. */
  readonly #readSent = new Map<string, string>();

  constructor(host: PaneHost) {
    this.#host = host;
  }

  start(): () => void {
    const offChat = this.#host.subscribe("chat", (frame) => this.#onFrame(frame));
    // A welcome is a fresh socket: the node has nothing open for it.
    const offSystem = this.#host.subscribe("system", (frame) => {
      const system = systemServerEvent.safeParse(frame);
      if (system.success && system.data.event === "settings_changed")
        this.#takeLimit(system.data.data.values);
      if (frame.event !== "welcome") return;
      this.#open = null;
      this.#readSent.clear();
      this.#sync();
    });
    // Messages sent just before the link dropped may or may not have been stored.
    const offReconnect = this.#host.onReconnect(() => {
      const next: Record<string, Thread> = {};
      for (const [id, thread] of Object.entries(this.threads)) next[id] = withStalePending(thread);
      this.threads = next;
    });
    void this.#loadLimit();
    return () => {
      offChat();
      offSystem();
      offReconnect();
      this.show(null);
    };
  }

  thread(nodeId: string): Thread {
    return this.threads[nodeId] ?? emptyThread;
  }

  /** The conversation on screen now, or null; opens and closes it on the node to match. */
  show(nodeId: string | null): void {
    this.#wanted = nodeId;
    this.#sync();
  }

  #sync(): void {
    if (this.#wanted === this.#open) return;
    if (this.#open !== null) this.#host.send("chat", "close", { nodeId: this.#open });
    this.#open = null;
    if (this.#wanted !== null && this.#host.send("chat", "open", { nodeId: this.#wanted })) {
      this.#open = this.#wanted;
      this.#readSent.delete(this.#wanted);
    }
  }

  /** Sends the draft and clears it; false (with the reason in `errors`) when it was refused here. */
  send(nodeId: string, draft: string): boolean {
    if (!this.#dispatch(nodeId, draft)) return false;
    this.drafts[nodeId] = "";
    return true;
  }

  /** Sends a stale pending message again, as a new message; the draft being written stays. */
  retry(nodeId: string, clientId: string): void {
    const pending = this.thread(nodeId).pending.find((p) => p.clientId === clientId);
    if (!pending) return;
    this.#update(nodeId, (t) => withoutPending(t, clientId));
    if (!this.#dispatch(nodeId, pending.text)) this.#update(nodeId, (t) => withPending(t, pending));
  }

  #dispatch(nodeId: string, draft: string): boolean {
    const checked = checkDraft(draft, this.limit);
    if (!checked.ok) {
      this.#setError(nodeId, checked.error);
      return false;
    }
    const clientId = newClientId();
    if (!this.#host.send("chat", "send", { nodeId, text: checked.text, clientId })) {
      this.#setError(nodeId, "This tab has lost its node; nothing was sent. It reconnects by itself.");
      return false;
    }
    this.#update(nodeId, (t) =>
      withPending(t, { clientId, text: checked.text, ts: Date.now(), stale: false }),
    );
    this.clearError(nodeId);
    return true;
  }

  discard(nodeId: string, clientId: string): void {
    this.#update(nodeId, (t) => withoutPending(t, clientId));
  }

  clearError(nodeId: string): void {
    if (nodeId in this.errors) {
      const { [nodeId]: _, ...rest } = this.errors;
      this.errors = rest;
    }
    this.generalError = null;
  }

  /** Fetches the page before the oldest message held. */
  async loadOlder(nodeId: string): Promise<void> {
    const thread = this.thread(nodeId);
    const first = thread.messages[0];
    if (!first || !thread.hasMore || this.older[nodeId]?.loading) return;
    this.older = { ...this.older, [nodeId]: { loading: true, error: null } };
    try {
      const path = `/api/chat/${encodeURIComponent(nodeId)}/messages?before=${first.seq}&limit=${PAGE_SIZE}`;
      const page = await this.#host.api.get(path, chatPage);
      this.#update(nodeId, (t) => withOlder(t, page));
      this.older = { ...this.older, [nodeId]: { loading: false, error: null } };
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      this.older = { ...this.older, [nodeId]: { loading: false, error } };
    }
  }

  /** Fetches a conversation's newest message for the list, when this tab holds none of it. */
  async loadPreview(nodeId: string): Promise<void> {
    try {
      const path = `/api/chat/${encodeURIComponent(nodeId)}/messages?limit=1`;
      const last = (await this.#host.api.get(path, chatPage)).messages.at(-1);
      if (last) this.#preview(nodeId, last);
    } catch {
      // The list then shows no preview; opening the conversation brings its messages anyway.
    }
  }

  /** The conversation's unread count rose: it moves up the list, and its preview is stale. */
  noteUnread(nodeId: string): void {
    this.bumped = { ...this.bumped, [nodeId]: Date.now() };
    if (nodeId !== this.#open) void this.loadPreview(nodeId);
  }

  lastActivity(nodeId: string): number {
    return Math.max(this.previews[nodeId]?.ts ?? 0, this.bumped[nodeId] ?? 0);
  }

  async #loadLimit(): Promise<void> {
    try {
      this.#takeLimit(await this.#host.api.get("/api/settings", settingsValues));
    } catch {
      // The default stays; the node still refuses what is over its own limit, with its reason.
    }
  }

  /** Takes the limit from a settings map, when the map has it. */
  #takeLimit(values: unknown): void {
    const limit = readLimit(values);
    if (limit !== null) this.limit = limit;
  }

  #onFrame(frame: ChannelFrame): void {
    const parsed = chatServerEvent.safeParse(frame);
    if (parsed.success) this.#apply(parsed.data);
  }

  #apply(event: ChatServerEvent): void {
    switch (event.event) {
      case "history": {
        const { nodeId } = event.data;
        this.#update(nodeId, (t) => withHistory(t, event.data));
        const last = event.data.messages.at(-1);
        if (last) this.#preview(nodeId, last);
        if (nodeId === this.#open) this.#markRead(nodeId);
        return;
      }
      case "message": {
        const message = event.data;
        this.#update(message.nodeId, (t) => withMessage(t, message));
        this.#preview(message.nodeId, message);
        if (message.direction === "in" && message.nodeId === this.#open) this.#markRead(message.nodeId);
        return;
      }
      case "receipt":
        if (event.data.nodeId in this.threads) {
          const { nodeId, ids, status } = event.data;
          this.#update(nodeId, (t) => withReceipt(t, ids, status));
        }
        return;
      case "error":
        this.#onError(event.data);
        return;
      case "unread":
        return;
    }
  }

  #onError(error: { message: string; nodeId?: string | undefined; clientId?: string | undefined }): void {
    const { message, clientId } = error;
    let nodeId = error.nodeId;
    if (clientId !== undefined) {
      // The message was not stored: take its row back and give its text back to edit.
      nodeId ??= Object.keys(this.threads).find((id) =>
        this.thread(id).pending.some((p) => p.clientId === clientId),
      );
      if (nodeId !== undefined) {
        const pending = this.thread(nodeId).pending.find((p) => p.clientId === clientId);
        this.#update(nodeId, (t) => withoutPending(t, clientId));
        if (pending && !this.drafts[nodeId]) this.drafts[nodeId] = pending.text;
      }
    }
    if (nodeId !== undefined) this.#setError(nodeId, `Not sent: ${message}`);
    else this.generalError = message;
  }

  #markRead(nodeId: string): void {
    const newest = newestIncoming(this.thread(nodeId));
    if (!newest || this.#readSent.get(nodeId) === newest.id) return;
    if (this.#host.send("chat", "read", { nodeId, upTo: newest.id })) this.#readSent.set(nodeId, newest.id);
  }

  #preview(nodeId: string, message: ChatMessage): void {
    const held = this.previews[nodeId];
    if (held && held.ts > message.ts) return;
    this.previews = {
      ...this.previews,
      [nodeId]: { text: message.text, ts: message.ts, direction: message.direction },
    };
  }

  #setError(nodeId: string, message: string): void {
    this.errors = { ...this.errors, [nodeId]: message };
  }

  #update(nodeId: string, change: (thread: Thread) => Thread): void {
    const before = this.thread(nodeId);
    const after = change(before);
    if (after !== before) this.threads = { ...this.threads, [nodeId]: after };
  }
}

/** A client id for a pending message: random, so two tabs never collide. */
function newClientId(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
