import { z } from "zod";
import type { IceServer } from "../fabric/links/webrtc-transport.ts";
import { defineSetting } from "../settings/registry.ts";
import type { SettingsStore } from "../settings/settings-store.ts";
import type { StunAddress } from "./lobby-client.ts";

/**
 * WebRTC's settings (docs/architecture.md, "The fabric"): whether the node negotiates data channels
 * through its lobby, and the ICE servers it asks. Blank by default: no third-party server is
 * contacted unless a person names one.
 */
export const enableWebRtc = defineSetting({
  key: "network.enableWebRtc",
  schema: z.boolean(),
  default: true,
  description:
    "Reach peers over WebRTC (peer to peer, negotiated through the lobby) when no direct path works.",
});

/** `host:port`, a hostname or address and a port, as STUN and TURN URLs name their server. */
const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/;

export const stunServer = defineSetting({
  key: "network.stunServer",
  schema: z
    .string()
    .trim()
    .max(300)
    .refine((v) => v === "" || /^stun:/.test(v), "must be a stun:host:port URL, or blank")
    .refine((v) => v === "" || HOST_PORT.test(v.slice(5)), "must name a host and, after a colon, a port"),
  default: "",
  description: "STUN server for WebRTC, e.g. stun:stun.example.org:3478. Blank: none is contacted.",
});

export const turnUrl = defineSetting({
  key: "network.turnUrl",
  schema: z
    .string()
    .trim()
    .max(300)
    .refine(
      (v) => v === "" || /^turns?:/.test(v),
      "must be a turn:host:port or turns:host:port URL, or blank",
    )
    .refine(
      (v) => v === "" || HOST_PORT.test(v.replace(/^turns?:/, "").replace(/\?transport=(udp|tcp)$/, "")),
      "must name a host and, after a colon, a port (optionally ?transport=udp|tcp)",
    ),
  default: "",
  description:
    "TURN server for networks where WebRTC cannot go peer to peer, e.g. turn:turn.example.org:3478.",
});

export const turnUsername = defineSetting({
  key: "network.turnUsername",
  schema: z.string().max(200),
  default: "",
  description: "User name for the TURN server.",
});

export const turnCredential = defineSetting({
  key: "network.turnCredential",
  schema: z.string().max(200),
  default: "",
  secret: true,
  description:
    "Password for the TURN server. Kept here, never shown back, never sent to a peer or the lobby.",
});

export const webRtcSettings = [enableWebRtc, stunServer, turnUrl, turnUsername, turnCredential];

/**
 * The ICE servers to use, as libdatachannel takes them: `network.stunServer` when set, else the
 * STUN server of the lobby this node is registered with (`lobbyStun`); then the TURN server the
 * settings name.
 */
export function iceServersOf(settings: SettingsStore, lobbyStun?: StunAddress): IceServer[] {
  const get = settings.get.bind(settings);
  const out: IceServer[] = [];
  const stun = get(stunServer);
  if (stun) out.push(stun);
  else if (lobbyStun) out.push({ hostname: lobbyStun.hostname, port: lobbyStun.port });
  const turn = get(turnUrl);
  if (turn) {
    const secure = turn.startsWith("turns:");
    const rest = turn.replace(/^turns?:/, "");
    const tcp = rest.endsWith("?transport=tcp");
    const m = HOST_PORT.exec(rest.replace(/\?transport=(udp|tcp)$/, ""));
    if (m) {
      out.push({
        hostname: (m[1] as string).replace(/^\[|\]$/g, ""),
        port: Number(m[2] ?? (secure ? 5349 : 3478)),
        username: get(turnUsername),
        password: get(turnCredential),
        relayType: secure ? "TurnTls" : tcp ? "TurnTcp" : "TurnUdp",
      });
    }
  }
  return out;
}
