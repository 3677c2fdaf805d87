import { networkServerEvent, type PeerRow, peersResponse } from "../../protocol/network.ts";
import type { ChannelFrame, PaneHost } from "../sdk/index.ts";

/**
 * The peers one can chat with (trusted ones, blocked included so their history stays readable),
 * kept live from the `network` channel. Asks over the socket, whose answer stays in order with
 * live updates, and over REST while the socket is down.
 */
export class ChatPeers {
  all = $state.raw<PeerRow[]>([]);
  loaded = $state(false);
  readonly peers: PeerRow[] = $derived(this.all.filter((p) => p.trusted));
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

  get(nodeId: string): PeerRow | undefined {
    return this.all.find((p) => p.node_id === nodeId);
  }

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
