import { networkServerEvent, type PeerRow, peersResponse } from "../../protocol/network.ts";
import type { ChannelFrame, PaneHost } from "../sdk/index.ts";

/**
 * This node's peers, kept live from the `network` channel, for the share menu and for naming the
 * nodes a room is shared with. Asks over the socket (its answer stays in order with live updates)
 * and falls back to REST while the socket is down.
 */
export class PeerDirectory {
  peers = $state.raw<PeerRow[]>([]);
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

  async load(): Promise<void> {
    if (this.#host.send("network", "list_peers", {})) return;
    const mine = ++this.#generation;
    try {
      const list = await this.#host.api.get("/api/network/peers", peersResponse);
      if (mine === this.#generation) this.peers = list.peers;
    } catch {
      // The menu just shows no peers until the socket is back and answers.
    }
  }

  #onFrame(frame: ChannelFrame): void {
    const parsed = networkServerEvent.safeParse(frame);
    if (!parsed.success) return;
    const event = parsed.data;
    if (event.event === "peers") {
      this.#generation++;
      this.peers = event.data.peers;
    } else if (event.event === "peer_update") {
      const peer = event.data.peer;
      const at = this.peers.findIndex((p) => p.node_id === peer.node_id);
      this.peers = at === -1 ? [...this.peers, peer] : this.peers.with(at, peer);
    } else if (event.event === "peer_removed") {
      this.peers = this.peers.filter((p) => p.node_id !== event.data.nodeId);
    }
  }
}
