import { Hono } from "hono";
import type { NearbyResponse } from "../../protocol/lan.ts";
import { defineFeature } from "../features/feature.ts";
import type { HttpEnv } from "../http/context.ts";
import { enableDirect, nodeName, trustMode } from "../settings/network-settings.ts";
import { channelSender } from "../ws/browser-hub.ts";
import type { HeardNode } from "./heard-nodes.ts";
import { LanDiscovery } from "./lan-discovery.ts";
import { LanLinks } from "./lan-links.ts";
import { enableLanDiscovery, lanSettings } from "./lan-settings.ts";
import { bonjourMdns, type Mdns } from "./mdns.ts";

const isLoopback = (address: string) => /\/\/(localhost|127\.|\[::1\])/.test(address);

/** What tests change: their own mDNS, a shorter sweep. */
export interface LanOptions {
  mdns?: (report: (problem: string, err: Error) => void) => Mdns;
  sweepMs?: number;
}

/**
 * LAN discovery (docs/architecture.md, "LAN discovery"): with `network.enableLanDiscovery` on,
 * this node announces itself over mDNS and hears the others. A paired node heard is linked
 * directly (lan-links.ts); an unknown one is listed as nearby (`GET /api/network/nearby`, the
 * `nearby` event of the `network` channel) for the Peers pane, which offers to pair.
 */
export const lanFeature = lanFeatureWith({});

/** The feature with test doubles; `lanFeature` is it with the real mDNS. */
export function lanFeatureWith(options: LanOptions) {
  return defineFeature({
    name: "lan",
    settings: lanSettings,
    create(ctx) {
      const { settings, fabric, log } = ctx;
      const { broadcast } = channelSender(ctx.browsers, "network");
      const links = new LanLinks({ fabric, log, openLan: () => settings.get(trustMode) === "open-lan" });
      const discovery = new LanDiscovery({
        selfId: ctx.identity.nodeId,
        log,
        mdns: options.mdns ?? bonjourMdns,
        sweepMs: options.sweepMs,
        advertisement: () => {
          if (!settings.get(enableDirect))
            return { reason: "direct links are off (network.enableDirect), so this node is not announced" };
          if (ctx.addresses().every(isLoopback))
            return { reason: "this node listens on this machine only (--host), so it is not announced" };
          return { name: ctx.nodeName(), port: ctx.port() };
        },
        changed: (node, kind) => {
          if (kind === "gone") links.gone(node.nodeId);
          else links.heard(node);
          push();
        },
      });

      const nearby = (): NearbyResponse => ({
        enabled: settings.get(enableLanDiscovery),
        problem: discovery.running ? discovery.problem : null,
        trust_mode: settings.get(trustMode),
        nodes: discovery
          .heard()
          .filter((n) => links.isNearby(n.nodeId))
          .map((n: HeardNode) => ({
            node_id: n.nodeId,
            node_name: n.name,
            address: n.address,
            seen_at: n.seenAt,
          })),
      });
      // Peer rows change with every ping; tabs hear of the nearby list only when it changed.
      let lastPushed = "";
      const push = () => {
        const state = nearby();
        const said = JSON.stringify({
          ...state,
          nodes: state.nodes.map((n) => [n.node_id, n.node_name, n.address]),
        });
        if (said === lastPushed) return;
        lastPushed = said;
        broadcast("nearby", state);
      };

      // Start and stop follow the setting; a rename is announced by starting again.
      let queue = Promise.resolve();
      const run = (step: () => void | Promise<void>) => {
        queue = queue
          .then(step)
          .catch((err: Error) => log.warn("LAN discovery failed", { error: err.message }));
        return queue;
      };
      const follow = () =>
        run(async () => {
          if (settings.get(enableLanDiscovery)) discovery.start();
          else await discovery.stop();
          push();
        });
      let offSettings = () => {};
      let offHub = () => {};
      return {
        api: { discovery, nearby, heard: () => discovery.heard() },
        routes: { mount: "network", app: new Hono<HttpEnv>().get("/nearby", (c) => c.json(nearby())) },
        async start() {
          offSettings = settings.onChange((changed) => {
            const restart = nodeName.key in changed || enableDirect.key in changed;
            if (restart && discovery.running) void run(() => discovery.stop()).then(follow);
            else if (enableLanDiscovery.key in changed) void follow();
            if (trustMode.key in changed) {
              for (const n of discovery.heard()) links.heard(n);
              push();
            }
          });
          // A node paired, forgotten or blocked moves between the nearby list and the peers.
          offHub = fabric.hub.on({
            peerUpdate: (row) => {
              const node = discovery.get(row.node_id);
              if (node && row.trusted) links.heard(node);
              push();
            },
            peerRemoved: () => push(),
          });
          await follow();
        },
        async stop() {
          offSettings();
          offHub();
          await run(() => discovery.stop());
        },
      };
    },
  });
}
