import type { ServerDataOf, ServerEventOf } from "../../protocol/channels.ts";
import type { Notice, NoticesClientEvent, NoticesList } from "../../protocol/notices.ts";
import { type BrowserHub, type BrowserSocket, channelSender } from "../ws/browser-hub.ts";
import type { NoticeInput, NoticeStore } from "./notice-store.ts";

export type { NoticeInput } from "./notice-store.ts";

export interface NoticeDeps {
  store: NoticeStore;
  browsers: BrowserHub;
}

/**
 * The inbox. Features call `add()`; the notice is stored first, then every open tab hears of it
 * (its bell, and a toast once). Reads and dismissals in one tab update the bell in all of them.
 */
export class NoticeService {
  readonly #d: NoticeDeps;
  /** Typed sends on the `notices` channel, made once: every edit and message goes through it. */
  readonly #tabs: ReturnType<typeof channelSender<"notices">>;

  constructor(deps: NoticeDeps) {
    this.#d = deps;
    this.#tabs = channelSender(deps.browsers, "notices");
  }

  /** A frame of a tab on the `notices` channel, already parsed. */
  onTab(socket: BrowserSocket, msg: NoticesClientEvent) {
    switch (msg.event) {
      case "list":
        return this.#send(socket, "list", this.list());
      case "read":
        this.read(msg.data.ids);
        return;
      case "dismiss":
        if (!this.dismiss(msg.data.id)) this.#send(socket, "error", { message: `no notice ${msg.data.id}` });
        return;
      default: {
        const never: never = msg;
        return never;
      }
    }
  }

  /** Stores a notice (or updates its coalesced twin) and tells every tab. */
  add(input: NoticeInput): Notice {
    const notice = this.#d.store.add(input);
    this.#broadcast("added", { notice, unread: this.#d.store.unread() });
    return notice;
  }

  /** The newest notices first; `limit` defaults to all that are kept. */
  list(limit?: number): NoticesList {
    return { notices: this.#d.store.list(limit), unread: this.#d.store.unread() };
  }

  /** Marks notices read (all without `ids`); tabs hear only when something changed. */
  read(ids?: number[]): void {
    if (this.#d.store.markRead(ids) > 0) this.#changed();
  }

  dismiss(id: number): boolean {
    if (!this.#d.store.dismiss(id)) return false;
    this.#changed();
    return true;
  }

  #changed(): void {
    this.#broadcast("changed", { unread: this.#d.store.unread() });
  }

  #broadcast<E extends ServerEventOf<"notices">["event"]>(event: E, data: ServerDataOf<"notices", E>): void {
    this.#tabs.broadcast(event, data);
  }

  #send<E extends ServerEventOf<"notices">["event"]>(
    socket: BrowserSocket,
    event: E,
    data: ServerDataOf<"notices", E>,
  ): void {
    this.#tabs.send(socket, event, data);
  }
}
