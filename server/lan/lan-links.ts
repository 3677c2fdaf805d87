import { DIRECT } from "../../protocol/peer.ts";
import type { Fabric } from "../fabric/fabric.ts";
import { pathRank } from "../fabric/peer-session.ts";
import type { Logger } from "../log.ts";
import type { HeardNode } from "./heard-nodes.ts";

/** A heard node is dialed at most this often, so a node that refuses is not knocked on each sweep. */
const RETRY_MS = 60_000;

/**
 * What a node heard on this network means for the fabric. A paired one: its LAN address is stored
 * as a direct path (tried before its others) and, unless a direct link is already up, dialed
 * through the hub, pinned to its key, so the path choice applies and a relayed or WebRTC link
 * moves to it. An unknown one is dialed only in `open-lan`; otherwise it waits in the nearby list
 * for its person to pair.
 */
export class LanLinks {
  readonly #fabric: Fabric;
  readonly #log: Logger;
  readonly #openLan: () => boolean;
  /** When each node was last dialed at which address. */
  readonly #tried = new Map<string, { address: string; at: number }>();
  /** The LAN address stored for each paired node, so a repeat writes nothing. */
  readonly #learned = new Map<string, string>();

  constructor(deps: { fabric: Fabric; log: Logger; openLan(): boolean }) {
    this.#fabric = deps.fabric;
    this.#log = deps.log;
    this.#openLan = deps.openLan;
  }

  /** Whether a heard node belongs in the nearby list: neither paired nor blocked. */
  isNearby(nodeId: string): boolean {
    return this.#fabric.peers.get(nodeId) === undefined;
  }

  heard(node: HeardNode): void {
    const peer = this.#fabric.peers.get(node.nodeId);
    const path = { transport: DIRECT, address: node.address };
    if (peer?.blocked) return;
    if (peer?.trusted) {
      const key = Buffer.from(peer.publicKey, "base64");
      // Anyone on the network can announce a paired peer's id: the address is stored only once a
      // dial to it proved the peer's key there, so a false announcement changes nothing.
      this.#dial(node, async () => {
        await this.#fabric.hub.dial(path, { expectKey: key, expectId: node.nodeId });
        if (this.#learned.get(node.nodeId) === node.address) return;
        this.#fabric.peers.paths.learn(node.nodeId, [path], "lan");
        this.#learned.set(node.nodeId, node.address);
      });
    } else if (!peer && this.#openLan()) {
      this.#dial(node, () => this.#fabric.hub.dial(path, { via: "open-lan", expectId: node.nodeId }));
    }
  }

  gone(nodeId: string): void {
    this.#tried.delete(nodeId);
    this.#learned.delete(nodeId);
  }

  #dial(node: HeardNode, dial: () => Promise<unknown>): void {
    const hub = this.#fabric.hub;
    const session = hub.session(node.nodeId);
    if (session && pathRank(session.link.transport) >= pathRank(DIRECT)) return;
    // A person who disconnected a peer meant it; the LAN does not undo that.
    if (hub.isHeld(node.nodeId) || hub.isDialing(node.nodeId) || hub.stopping) return;
    const last = this.#tried.get(node.nodeId);
    if (last?.address === node.address && Date.now() - last.at < RETRY_MS) return;
    this.#tried.set(node.nodeId, { address: node.address, at: Date.now() });
    dial().then(
      () => this.#log.info("linked over the LAN", { node: node.nodeId, address: node.address }),
      (err: Error) => this.#log.debug("LAN dial failed", { node: node.nodeId, error: err.message }),
    );
  }
}
