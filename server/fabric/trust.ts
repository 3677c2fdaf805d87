import { trustMode } from "../settings/network-settings.ts";
import type { SettingsStore } from "../settings/settings-store.ts";
import type { AuditLog } from "./audit-log.ts";
import type { DialerClaim } from "./handshake.ts";
import { type InviteStore, inviteId } from "./invite-store.ts";
import type { PeerStore } from "./peer-store.ts";

export type TrustVerdict = { ok: true } | { ok: false; reason: string };

const REDEEM_REASONS = {
  unknown: "unknown invite",
  expired: "invite expired",
  used: "invite already used",
} as const;

/** The peer a trust event is about, by the name it gave (or the one on file). */
export interface TrustPeer {
  node_id: string;
  node_name: string;
}

/** What the acceptor's decisions tell the rest of the node; the inbox listens. */
export interface TrustEvents {
  /** A new peer paired using the invite `inviteId` this node minted. */
  inviteUsed(inviteId: string, peer: TrustPeer): void;
  /** A blocked node tried to connect and was refused. */
  blockedAttempt(peer: TrustPeer): void;
}

/**
 * A source of admissions beside invites: the lobby's rooms. It answers for a dialer this node is
 * expecting (a guest its person accepted, a token room's guest, the host of a room it joined):
 * `admit` with how the pairing came about, `refuse` with a reason, or undefined when it has no say.
 * The lobby's word alone never reaches here; only what this node itself decided or checked.
 */
export interface AdmissionSource {
  decide(claim: DialerClaim): { admit: "room" | "directory" } | { refuse: string } | undefined;
}

/**
 * The acceptor's decision (docs/architecture.md), in order: blocked → refuse; known id with another
 * key → refuse; trusted with the pinned key → admit; open-lan → admit and save; an admission
 * source (a lobby room) → admit and save, or refuse; a valid invite → admit and save; else
 * "pairing required". Every refusal and new pairing is audited.
 */
export class Trust {
  readonly #peers: PeerStore;
  readonly #invites: InviteStore;
  readonly #audit: AuditLog;
  readonly #settings: SettingsStore;
  readonly #listeners = new Set<Partial<TrustEvents>>();
  readonly #admissions = new Set<AdmissionSource>();

  constructor(deps: { peers: PeerStore; invites: InviteStore; audit: AuditLog; settings: SettingsStore }) {
    this.#peers = deps.peers;
    this.#invites = deps.invites;
    this.#audit = deps.audit;
    this.#settings = deps.settings;
  }

  /** Adds a source of admissions (the lobby's rooms); returns how to remove it. */
  admitFrom(source: AdmissionSource): () => void {
    this.#admissions.add(source);
    return () => this.#admissions.delete(source);
  }

  on(listener: Partial<TrustEvents>): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  decide(claim: DialerClaim, address: string | undefined): TrustVerdict {
    const key = Buffer.from(claim.publicKey).toString("base64");
    const known = this.#peers.get(claim.peerId);
    if (known?.blocked) {
      const peer = { node_id: claim.peerId, node_name: claim.nodeName || known.nodeName };
      for (const l of this.#listeners) l.blockedAttempt?.(peer);
      return this.#refuse(claim, "blocked", address);
    }
    if (known && known.publicKey !== key) {
      this.#audit.record("key_mismatch", claim.peerId, { presented: key, pinned: known.publicKey, address });
      return { ok: false, reason: "key mismatch" };
    }
    if (known?.trusted) return { ok: true };
    if (this.#settings.get(trustMode) === "open-lan") return this.#admit(claim, "open-lan", address);
    for (const source of this.#admissions) {
      const said = source.decide(claim);
      if (!said) continue;
      if ("refuse" in said) return this.#refuse(claim, said.refuse, address);
      return this.#admit(claim, said.admit, address);
    }
    if (claim.token !== undefined) {
      const outcome = this.#invites.redeem(claim.token, claim.peerId);
      if (outcome === "ok") {
        const verdict = this.#admit(claim, "invite", address);
        const peer = { node_id: claim.peerId, node_name: claim.nodeName };
        for (const l of this.#listeners) l.inviteUsed?.(inviteId(claim.token), peer);
        return verdict;
      }
      return this.#refuse(claim, REDEEM_REASONS[outcome], address);
    }
    return this.#refuse(claim, "pairing required", address);
  }

  /** The dialer's own objections before it authenticates to a node it reached. */
  objection(peerId: string, key: Uint8Array): string | undefined {
    const known = this.#peers.get(peerId);
    if (!known) return undefined;
    if (known.blocked) return "blocked";
    if (known.publicKey !== Buffer.from(key).toString("base64")) {
      this.#audit.record("key_mismatch", peerId, {
        presented: Buffer.from(key).toString("base64"),
        pinned: known.publicKey,
      });
      return "key mismatch";
    }
    return undefined;
  }

  #admit(
    claim: DialerClaim,
    via: "open-lan" | "invite" | "room" | "directory",
    address: string | undefined,
  ): TrustVerdict {
    this.#peers.trust({
      nodeId: claim.peerId,
      publicKey: Buffer.from(claim.publicKey).toString("base64"),
      nodeName: claim.nodeName,
      via,
    });
    this.#audit.record("pair", claim.peerId, { via, name: claim.nodeName, address });
    return { ok: true };
  }

  /** Audited with the source address, so a dialer that keeps coming back is counted on one row. */
  #refuse(claim: DialerClaim, reason: string, address: string | undefined): TrustVerdict {
    this.#audit.record("refuse", claim.peerId, { reason, name: claim.nodeName, address });
    return { ok: false, reason };
  }
}
