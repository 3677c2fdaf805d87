import type { PaneHost } from "../../plugins/sdk/host.ts";
import { type Notice, noticesServerEvent } from "../../protocol/notices.ts";

/**
 * The tab's view of the node's inbox: the notices, newest first, and the unread count for the
 * bell. A notice that arrives while this tab is open is also shown once as a toast. The list is
 * asked for again on every welcome (first connect, reconnect, node restart), since pushes sent
 * while the socket was down are lost.
 */
export class Inbox {
  notices = $state.raw<readonly Notice[]>([]);
  unread = $state(0);
  /** The node answered at least once; until then the count is not known, not zero. */
  loaded = $state(false);

  readonly #host: PaneHost;
  /** Notices this tab already toasted, so a coalesced repeat does not toast again. */
  readonly #toasted = new Set<number>();

  constructor(host: PaneHost) {
    this.#host = host;
    host.subscribe("notices", (frame) => {
      const parsed = noticesServerEvent.safeParse(frame);
      if (!parsed.success) return;
      const message = parsed.data;
      switch (message.event) {
        case "list":
          this.notices = message.data.notices;
          this.unread = message.data.unread;
          this.loaded = true;
          return;
        case "added":
          this.#added(message.data.notice, message.data.unread);
          return;
        case "changed":
          this.unread = message.data.unread;
          // Another tab read or dismissed something: fetch which, rather than guess.
          host.send("notices", "list", {});
          return;
        case "error":
          return;
        default: {
          const never: never = message;
          return never;
        }
      }
    });
    host.subscribe("system", (frame) => {
      if (frame.event === "welcome") host.send("notices", "list", {});
    });
    host.send("notices", "list", {});
  }

  /** Runs a notice's action: opens its pane, with its parameters. */
  act(notice: Notice): void {
    if (!notice.action) return;
    this.#host.openPane(notice.action.paneId, notice.action.params);
    if (!notice.read) this.#host.send("notices", "read", { ids: [notice.id] });
  }

  markAllRead(): void {
    this.#host.send("notices", "read", {});
  }

  dismiss(id: number): void {
    this.notices = this.notices.filter((n) => n.id !== id);
    this.#host.send("notices", "dismiss", { id });
  }

  #added(notice: Notice, unread: number): void {
    this.notices = [notice, ...this.notices.filter((n) => n.id !== notice.id)];
    this.unread = unread;
    if (this.#toasted.has(notice.id)) return;
    this.#toasted.add(notice.id);
    const action = notice.action;
    this.#host.notify(
      notice.text,
      "info",
      action ? { label: action.label, run: () => this.act(notice) } : undefined,
    );
  }
}
