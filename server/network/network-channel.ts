import { type NetworkClientEvent, networkClientEvent } from "../../protocol/network.ts";
import type { Fabric } from "../fabric/fabric.ts";
import { type BrowserChannel, browserChannel } from "../features/feature.ts";
import type { NodeIdentity } from "../identity/identity.ts";
import { type BrowserHub, type BrowserSocket, channelSender } from "../ws/browser-hub.ts";
import { mintInvite, selfRow } from "./network-facts.ts";

/**
 * The `network` channel of `/ws` (docs/architecture.md): a live view of the hub for every tab, and the
 * controls the Peers pane uses. Progress of a pairing goes only to the tab that asked.
 */
export function networkChannel(
  browsers: BrowserHub,
  f: { identity: NodeIdentity; fabric: Fabric; nodeName(): string; addresses(): string[] },
): { channel: BrowserChannel; watch(): () => void } {
  const { hub, monitor } = f.fabric;
  const { send, broadcast } = channelSender(browsers, "network");
  const peers = () => ({ self: selfRow(f), peers: hub.rows() });

  const handle = async (socket: BrowserSocket, msg: NetworkClientEvent) => {
    switch (msg.event) {
      case "list_peers":
        return send(socket, "peers", peers());
      case "list_metrics":
        return send(socket, "peer_metrics", { metrics: monitor.metrics() });
      case "metrics_history":
        return send(socket, "metrics_history", monitor.history.snapshot());
      case "mint_invite":
        return send(socket, "invite", mintInvite(f, msg.data.ttl_s));
      case "disconnect":
        if (!hub.row(msg.data.nodeId))
          return send(socket, "error", { message: `no peer ${msg.data.nodeId}` });
        hub.disconnect(msg.data.nodeId);
        return;
      case "pair_redeem": {
        const result = await hub.pair(msg.data.invite, (stage, address) =>
          send(socket, "pair_progress", { stage, address }),
        );
        if (!result.ok) send(socket, "pair_progress", { stage: "failed", error: result.error });
        return send(socket, "pair_result", result);
      }
      case "connect": {
        try {
          const peer = await hub.dial(msg.data.address, {
            onStage: (stage) => send(socket, "pair_progress", { stage, address: msg.data.address }),
          });
          return send(socket, "pair_result", { ok: true, peer });
        } catch (err) {
          const error = (err as Error).message;
          send(socket, "pair_progress", { stage: "failed", address: msg.data.address, error });
          return send(socket, "pair_result", { ok: false, error });
        }
      }
      default: {
        const never: never = msg;
        return never;
      }
    }
  };

  /** Live updates to every tab: peer rows, monitor ticks, used invites. Returns how to stop. */
  const watch = () => {
    const offHub = hub.on({
      peerUpdate: (peer) => broadcast("peer_update", { peer }),
      peerRemoved: (nodeId) => broadcast("peer_removed", { nodeId }),
    });
    // Every tick reaches every tab; with no tab open there is nothing to serialize.
    const offTicks = monitor.onTick((tick) => {
      if (browsers.size > 0) broadcast("peer_metrics", tick);
    });
    const offTrust = f.fabric.trust.on({
      inviteUsed: (id, peer) => broadcast("invite_used", { id, peer }),
    });
    return () => {
      offHub();
      offTicks();
      offTrust();
    };
  };
  return { channel: browserChannel({ name: "network", schema: networkClientEvent, handle }), watch };
}
