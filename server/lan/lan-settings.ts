import { z } from "zod";
import { defineSetting } from "../settings/registry.ts";

/**
 * Off by default: announcing a name on a café's or hotel's Wi-Fi is not what a person expects
 * from starting a program. The Peers pane offers to turn it on, saying what it does.
 */
export const enableLanDiscovery = defineSetting({
  key: "network.enableLanDiscovery",
  schema: z.boolean(),
  default: false,
  description:
    "Announce this node (name, node id, port) on the local network over mDNS and list other weft nodes there; paired ones link directly.",
});

export const lanSettings = [enableLanDiscovery];
