import {
  type ErrorData,
  errorData,
  type GoodbyeData,
  goodbyeData,
  type PresenceData,
  presenceData,
} from "../../protocol/peer.ts";
import type { PeerHub } from "./peer-hub.ts";
import type { PeerSession } from "./peer-session.ts";

/**
 * The session's own message types, registered like any feature's, from any linked peer:
 * `presence` (its name and paths), `goodbye` (the link ends on purpose) and `error` (what the peer
 * refused of ours). `ping`/`pong` belong to the link monitor, which measures the RTT with them.
 */
export function registerSessionTypes(
  hub: PeerHub,
  on: {
    presence(session: PeerSession, data: PresenceData): void;
    goodbye(session: PeerSession, data: GoodbyeData): void;
    error(session: PeerSession, data: ErrorData): void;
  },
): void {
  hub.handle("presence", presenceData, on.presence, { fromAnyPeer: true });
  hub.handle("goodbye", goodbyeData, on.goodbye, { fromAnyPeer: true });
  hub.handle("error", errorData, on.error, { fromAnyPeer: true });
}
