import type { PathPolicy } from "../../protocol/network.ts";
import type { AuditLog } from "./audit-log.ts";
import { CLOSE } from "./links/link.ts";
import { allowedBy } from "./peer-dialing.ts";
import type { PeerSession } from "./peer-session.ts";
import type { PeerStore } from "./peer-store.ts";

/** What a control changed, for the hub to tell its listeners. */
export type ControlEvent = { kind: "changed" | "removed" | "unblocked"; nodeId: string };

export interface PeerControlsDeps {
  peers: PeerStore;
  audit: AuditLog;
  sessions: ReadonlyMap<string, PeerSession>;
  /** Peers a person disconnected: not redialed until a link is made on purpose. */
  held: Set<string>;
  tell(event: ControlEvent): void;
}

/**
 * What a person does to a peer from the Peers pane: disconnect, forget, block, unblock and its
 * path policy. Each
 * trust change is audited; a disconnect holds the peer on both sides (the `goodbye` says so), so
 * neither redials until someone connects on purpose.
 */
export class PeerControls {
  readonly #d: PeerControlsDeps;

  constructor(deps: PeerControlsDeps) {
    this.#d = deps;
  }

  /**
   * Ends the link to a peer. It stays paired; neither side redials it until someone connects on
   * purpose (`reconnect`, `connect`, a pairing), so a Disconnect button means what it says.
   */
  disconnect(nodeId: string, reason: string): boolean {
    // Only a node this one knows can be held; an id made up by a tab must not grow the set.
    if (!this.#d.sessions.has(nodeId) && !this.#d.peers.get(nodeId)) return false;
    this.#d.held.add(nodeId);
    const session = this.#d.sessions.get(nodeId);
    if (!session) return false;
    session.send("goodbye", { reason, hold: true });
    session.close(CLOSE.normal, reason);
    return true;
  }

  forget(nodeId: string): boolean {
    this.disconnect(nodeId, "forgotten");
    const removed = this.#d.peers.forget(nodeId);
    if (removed) {
      this.#d.audit.record("forget", nodeId);
      this.#d.tell({ kind: "removed", nodeId });
    }
    return removed;
  }

  setBlocked(nodeId: string, blocked: boolean): boolean {
    if (!this.#d.peers.setBlocked(nodeId, blocked)) return false;
    this.#d.audit.record(blocked ? "block" : "unblock", nodeId);
    if (blocked) this.disconnect(nodeId, "blocked");
    else this.#d.held.delete(nodeId);
    this.#d.tell({ kind: "changed", nodeId });
    if (!blocked) this.#d.tell({ kind: "unblocked", nodeId });
    return true;
  }

  /**
   * Sets which paths a peer's links may use. A current link over a path now refused is closed
   * (not held), so the redialer links again over an allowed one.
   */
  setPathPolicy(nodeId: string, policy: PathPolicy): boolean {
    if (!this.#d.peers.setPathPolicy(nodeId, policy)) return false;
    this.#d.audit.record("path_policy", nodeId, { policy });
    const session = this.#d.sessions.get(nodeId);
    if (session && !allowedBy(policy, session.link.transport)) {
      session.close(CLOSE.normal, `path policy ${policy} refuses ${session.link.transport} links`);
    }
    this.#d.tell({ kind: "changed", nodeId });
    return true;
  }
}
