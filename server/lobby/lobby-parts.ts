import type { Transport } from "../fabric/links/link.ts";
import { createRelayTransport } from "../fabric/links/relay-transport.ts";
import { createWebRtcTransport, type WebRtcTransport } from "../fabric/links/webrtc-transport.ts";
import type { NodeIdentity } from "../identity/identity.ts";
import type { Logger } from "../log.ts";
import { enableDirect, maxFrameBytes } from "../settings/network-settings.ts";
import type { SettingsStore } from "../settings/settings-store.ts";
import { LobbyClient } from "./lobby-client.ts";
import { enableRelay, lobbyListed } from "./lobby-settings.ts";
import { enableWebRtc, iceServersOf } from "./webrtc-settings.ts";

/**
 * The node's lobby socket and the transports that need it: the relay, which rides on it, and
 * WebRTC, which negotiates through it. Made before the fabric (which dials and accepts over them
 * like any transport) and handed to the lobby feature, which drives the socket. `capabilities` is
 * read late: the hub that knows them comes after.
 */
export function createLobbyParts(deps: {
  identity: NodeIdentity;
  log: Logger;
  settings: SettingsStore;
  nodeName(): string;
  addresses(): string[];
  capabilities(): readonly string[];
}): { client: LobbyClient; relay: Transport; webrtc: WebRtcTransport } {
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
  const webrtc = createWebRtcTransport({
    carrier: client,
    iceServers: () => iceServersOf(s, client.stunServer),
    disabled: () =>
      s.get(enableWebRtc) ? undefined : "WebRTC is turned off in settings (network.enableWebRtc)",
    maxFrameBytes: () => s.get(maxFrameBytes),
  });
  return { client, relay, webrtc };
}
