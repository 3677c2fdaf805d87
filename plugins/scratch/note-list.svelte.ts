import { collabServerEvent, type RoomListing } from "../../protocol/collab.ts";
import type { PaneHost } from "../sdk/index.ts";

/**
 * The Scratch notes this node has, mine and those others shared with me, as the node lists them
 * on the `collab` channel (`rooms`). Asks again after every reconnect, since changes made while
 * the socket was down were missed.
 */
export class NoteList {
  rooms: RoomListing[] = $state([]);
  loaded = $state(false);
  readonly #host: PaneHost;
  readonly #paneId: string;

  constructor(host: PaneHost, paneId: string) {
    this.#host = host;
    this.#paneId = paneId;
  }

  /** Starts listening; returns the function that stops. */
  start(): () => void {
    const ask = () => this.#host.send("collab", "rooms", { paneId: this.#paneId });
    const offFrames = this.#host.subscribe("collab", (frame) => {
      const parsed = collabServerEvent.safeParse(frame);
      if (!parsed.success || parsed.data.event !== "rooms" || parsed.data.data.paneId !== this.#paneId)
        return;
      this.rooms = parsed.data.data.rooms;
      this.loaded = true;
    });
    const offReconnect = this.#host.onReconnect(ask);
    const offWelcome = this.#host.subscribe("system", (frame) => {
      if (frame.event === "welcome" && !this.loaded) ask();
    });
    ask();
    return () => {
      offFrames();
      offReconnect();
      offWelcome();
    };
  }

  find(paneKey: string): RoomListing | undefined {
    return this.rooms.find((r) => r.paneKey === paneKey);
  }

  /** Deletes a note here: mine for everyone (guests keep read-only copies), or my copy of another's. */
  delete(paneKey: string): boolean {
    return this.#host.send("collab", "delete", { paneKey });
  }
}
