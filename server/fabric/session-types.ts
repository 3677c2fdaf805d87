import { DIRECT, errorData, goodbyeData, presenceData } from "../../protocol/peer.ts";
import type { Logger } from "../log.ts";
import { CLOSE } from "./links/link.ts";
import type { PeerHub } from "./peer-hub.ts";
import type { PeerStore } from "./peer-store.ts";

/**
 * The session's own message types, registered like any feature's but taken from any linked peer:
 * `presence` (its name and paths, remembered for redialing), `goodbye` (the link ends on purpose;
 * `hold` means a person chose it, so nobody redials) and `error` (what the peer refused of ours).
 * `ping`/`pong` belong to the link monitor, which measures the RTT with them.
 */
export function registerSessionTypes(
  hub: PeerHub,
  d: { peers: PeerStore; log: Logger; held: Set<string>; rowChanged(nodeId: string): void },
): void {
  const fromAnyPeer = { fromAnyPeer: true };
  hub.handle(
    "presence",
    presenceData,
    (session, p) => {
      session.peerName = p.node_name;
      d.peers.touch(session.peerId, { nodeName: p.node_name });
      // Nodes from before typed paths tell bare `ws://` addresses.
      const paths = p.paths ?? p.addresses?.map((address) => ({ transport: DIRECT, address }));
      if (paths) d.peers.paths.learn(session.peerId, paths, "presence");
      d.rowChanged(session.peerId);
    },
    fromAnyPeer,
  );
  hub.handle(
    "goodbye",
    goodbyeData,
    (session, bye) => {
      if (bye.hold) d.held.add(session.peerId);
      session.close(CLOSE.normal, bye.reason ?? "goodbye");
    },
    fromAnyPeer,
  );
  hub.handle(
    "error",
    errorData,
    (session, e) => {
      d.log.debug("peer reported an error", { node: session.peerId, ...e });
    },
    fromAnyPeer,
  );
}
