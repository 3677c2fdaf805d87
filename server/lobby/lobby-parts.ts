import type { Transport } from "../fabric/links/link.ts";
import { createRelayTransport } from "../fabric/links/relay-transport.ts";
import type { NodeIdentity } from "../identity/identity.ts";
import type { Logger } from "../log.ts";
import { enableDirect } from "../settings/network-settings.ts";
import type { SettingsStore } from "../settings/settings-store.ts";
import { LobbyClient } from "./lobby-client.ts";
import { enableRelay, lobbyListed } from "./lobby-settings.ts";

/**
 * The node's lobby socket and the relay transport that rides on it, made before the fabric (which
 * dials and accepts over the relay like any transport) and handed to the lobby feature, which
 * drives the socket. `capabilities` is read late: the hub that knows them comes after.
 */
export function createLobbyParts(deps: {
  identity: NodeIdentity;
  log: Logger;
  settings: SettingsStore;
  nodeName(): string;
  addresses(): string[];
  capabilities(): readonly string[];
}): { client: LobbyClient; relay: Transport } {
  const s = deps.settings;
  const client = new LobbyClient({
    identity: deps.identity,
    log: deps.log,
    nodeName: deps.nodeName,
    // Addresses go only to the other end of a room join; none when this node takes no direct links.
    addresses: () => (s.get(enableDirect) ? deps.addresses() : []),
    listed: () => s.get(lobbyListed),
    capabilities: () => [...deps.capabilities()],
  });
  const relay = createRelayTransport({
    carrier: client,
    disabled: () =>
      s.get(enableRelay) ? undefined : "relaying is turned off in settings (network.enableRelay)",
  });
  return { client, relay };
}
