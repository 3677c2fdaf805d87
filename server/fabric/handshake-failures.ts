import type { Logger } from "../log.ts";
import type { AuditLog } from "./audit-log.ts";
import { HandshakeError } from "./handshake.ts";
import { CLOSE, DialError, type Link } from "./links/link.ts";
import type { PeerStore } from "./peer-store.ts";

/**
 * What an inbound handshake that failed leaves behind: a refusal counted under its frame code, a
 * key mismatch audited when someone holding another key claimed a paired node's id, one log line.
 * Anything else that went wrong is a bug, logged at error level, and the link is closed.
 */
export function reportHandshakeFailure(
  err: unknown,
  link: Link,
  d: { count(code: string): void; peers: PeerStore; audit: AuditLog; log: Logger },
): void {
  if (err instanceof HandshakeError) {
    d.count(err.frameCode ?? `handshake_${err.code}`);
    const pinned = err.claim && d.peers.get(err.claim.peerId);
    if (err.claim && pinned) {
      d.audit.record("key_mismatch", err.claim.peerId, {
        presented: err.claim.publicKey,
        pinned: pinned.publicKey,
        address: link.remoteAddress,
      });
    }
    d.log.info("inbound handshake failed", { from: link.remoteAddress, code: err.code, reason: err.message });
  } else if (!(err instanceof DialError)) {
    d.log.error("inbound handshake crashed", { error: (err as Error).message });
    link.close(CLOSE.protocolError, "handshake failed");
  }
}
