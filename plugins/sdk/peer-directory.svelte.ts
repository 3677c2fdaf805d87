import { networkServerEvent, type PeerRow, peersResponse } from "../../protocol/network.ts";
import type { ChannelFrame, PaneHost } from "./host.ts";

/**
 * This node's peers, kept live from the `network` channel, for any pane that lists, names or
 * picks peers. Asks over the socket (its answer stays in order with live updates) and falls back
 * to REST while the socket is down. Reactive: read `all`, `trusted` and `loaded` in a component.
 */
export class PeerDirectory {
  /** Every known peer, blocked ones included. */
  all = $state.raw<PeerRow[]>([]);
  /** False until the first list arrived. */
  loaded = $state(false);
  /** Paired peers (blocked included, so their history stays readable). */
  readonly trusted: PeerRow[] = $derived(this.all.filter((p) => p.trusted));
  readonly #host: PaneHost;
  // A socket answer bumps this too, so a slower REST answer cannot overwrite newer live state.
  #generation = 0;

  constructor(host: PaneHost) {
    this.#host = host;
  }

  /** Starts listening; returns the function that stops. */
  start(): () => void {
    const offFrames = this.#host.subscribe("network", (frame) => this.#onFrame(frame));
    const offReconnect = this.#host.onReconnect(() => void this.load());
    void this.load();
    return () => {
      offFrames();
      offReconnect();
    };
  }

  /** The peer with this node id, if known. */
  get(nodeId: string): PeerRow | undefined {
    return this.all.find((p) => p.node_id === nodeId);
  }

  /** Asks for the list again (done by `start` and on every reconnect). */
  async load(): Promise<void> {
    if (this.#host.send("network", "list_peers", {})) return;
    const mine = ++this.#generation;
    try {
      const list = await this.#host.api.get("/api/network/peers", peersResponse);
      if (mine === this.#generation) this.#set(list.peers);
    } catch {
      // The socket's welcome brings a reconnect, and the list with it.
    }
  }

  #set(peers: PeerRow[]): void {
    this.all = peers;
    this.loaded = true;
  }

  #onFrame(frame: ChannelFrame): void {
    const parsed = networkServerEvent.safeParse(frame);
    if (!parsed.success) return;
    const event = parsed.data;
    if (event.event === "peers") {
      this.#generation++;
      this.#set(event.data.peers);
    } else if (event.event === "peer_update") {
      const peer = event.data.peer;
      const at = this.all.findIndex((p) => p.node_id === peer.node_id);
      this.all = at === -1 ? [...this.all, peer] : this.all.with(at, peer);
    } else if (event.event === "peer_removed") {
      this.all = this.all.filter((p) => p.node_id !== event.data.nodeId);
    }
  }
}
