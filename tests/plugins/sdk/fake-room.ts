import * as Y from "yjs";
import { COLLAB_TEXT, type CollabMember, collabClientEvent } from "../../../protocol/collab.ts";
import type { FakeHost } from "./fake-host.ts";

/**
 * A tiny in-test stand-in for the node's side of one room: tabs join through their fake hosts,
 * updates are applied to the room's doc and relayed to the other tabs. Deliveries are queued, not
 * immediate, so a test decides when each tab hears of the others' edits (true concurrency).
 */
export class FakeRoom {
  readonly doc = new Y.Doc();
  rev = 0;
  readonly #tabs = new Map<FakeHost, string>();
  readonly #queue: Array<{ to: FakeHost; event: string; data: unknown }> = [];
  readonly paneKey: string;

  constructor(paneKey: string) {
    this.paneKey = paneKey;
  }

  text(): string {
    return this.doc.getText(COLLAB_TEXT).toString();
  }

  /** Routes this fake host's `collab` sends into the room. */
  attach(tab: FakeHost): void {
    tab.onSend = (frame) => {
      if (frame.channel !== "collab") return;
      // The node parses every frame at the edge; a frame off the contract fails the test here.
      const msg = collabClientEvent.parse({ event: frame.event, data: frame.data });
      if (msg.event === "rooms" || msg.data.paneKey !== this.paneKey) return;
      if (msg.event === "join") {
        this.#tabs.set(tab, `tab-${this.#tabs.size + 1}`);
        this.#queue.push({ to: tab, event: "state", data: this.#state(tab) });
      } else if (msg.event === "leave") {
        this.#tabs.delete(tab);
      } else if (msg.event === "update") {
        if (!this.#tabs.has(tab)) throw new Error("update before join");
        const before = this.rev;
        Y.applyUpdate(
          this.doc,
          Uint8Array.from(atob(msg.data.update), (c) => c.charCodeAt(0)),
        );
        this.rev = before + 1;
        for (const [other, id] of this.#tabs) {
          if (other === tab) continue;
          const data = { paneKey: this.paneKey, rev: this.rev, update: msg.data.update, from: id };
          this.#queue.push({ to: other, event: "update", data });
        }
      } else if (msg.event === "awareness") {
        if (!this.#tabs.has(tab)) throw new Error("awareness before join");
        for (const other of this.#tabs.keys()) {
          if (other === tab) continue;
          this.#queue.push({
            to: other,
            event: "awareness",
            data: { paneKey: this.paneKey, update: msg.data.update },
          });
        }
      }
    };
  }

  /** The socket dropped: the node forgets the tab, as it does on close. */
  drop(tab: FakeHost): void {
    this.#tabs.delete(tab);
    this.#queue.splice(0, this.#queue.length, ...this.#queue.filter((q) => q.to !== tab));
  }

  get pending(): number {
    return this.#queue.length;
  }

  /** Delivers one queued frame, picked by `pick` (0 ≤ pick < 1) so tests can shuffle delivery per tab in order. */
  deliverOne(pick = 0): void {
    const tabs = [...new Set(this.#queue.map((q) => q.to))];
    const to = tabs[Math.floor(pick * tabs.length)];
    const at = this.#queue.findIndex((q) => q.to === to);
    const [next] = this.#queue.splice(at, 1);
    if (next) next.to.push("collab", { event: next.event, data: next.data });
  }

  deliverAll(): void {
    while (this.#queue.length > 0) this.deliverOne();
  }

  #state(tab: FakeHost) {
    const members: CollabMember[] = [...this.#tabs].map(([t, id]) => ({
      id,
      name: "node",
      kind: "tab",
      self: t === tab,
    }));
    const bytes = Y.encodeStateAsUpdate(this.doc);
    return {
      paneKey: this.paneKey,
      rev: this.rev,
      update: btoa(String.fromCharCode(...bytes)),
      members,
      sharedWith: [],
      access: "owner",
      owner: null,
    };
  }
}
