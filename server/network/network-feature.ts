import { defineFeature } from "../features/feature.ts";
import { networkSettings } from "../settings/network-settings.ts";
import { networkChannel } from "./network-channel.ts";
import { networkRoutes } from "./network-routes.ts";

/**
 * The peer fabric as a person drives it: the `network` channel (a live view of peers and link
 * health, pairing, connecting) and `/api/network/*`. The fabric itself is a shared part of the
 * node; this feature is its face.
 */
export const networkFeature = defineFeature({
  name: "network",
  settings: networkSettings,
  create(ctx) {
    const { channel, watch } = networkChannel(ctx.browsers, ctx);
    let unwatch = () => {};
    return {
      api: ctx.fabric,
      channel,
      routes: { mount: "network", app: networkRoutes(ctx) },
      start() {
        unwatch = watch();
      },
      stop() {
        unwatch();
      },
    };
  },
});
