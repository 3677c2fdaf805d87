import type { DirectoryEntry, JoinParty } from "../protocol/lobby.ts";
import type { HeldNode, NodeRecord } from "./backplane/backplane.ts";

/** What a member's socket offers the rest of the lobby: sending it a frame, and closing it. */
export interface MemberSocket {
  sendText(text: string): void;
  sendBytes(bytes: Uint8Array): void;
  close(code: number, reason: string): void;
  /** Bytes given to this socket and not yet written to the network. */
  backlog(): number;
  /** Relayed frames of this socket's on link `link` with `peer` are dropped from now on: it ended. */
  cutLink(peer: string, link: string): void;
}

/** A registered node. One per node id; a newer registration takes the record over. */
export interface Member {
  readonly id: string;
  /** Standard base64 of the raw key, as it travels. */
  readonly publicKey: string;
  name: string;
  capabilities: string[];
  /** Where it can be dialed; told only to the other end of a room join. */
  addresses: string[];
  listed: boolean;
  /** When it registered (ms since the epoch); a replacement keeps the first one's. */
  since: number;
  socket: MemberSocket;
  /** Rooms it joined as a guest, each with its host, so leaving the lobby tells their hosts. */
  readonly joined: Map<string, string>;
}

export function directoryEntry(m: Member): DirectoryEntry {
  return {
    node_id: m.id,
    node_name: m.name,
    public_key: m.publicKey,
    capabilities: m.capabilities,
    since: m.since,
  };
}

export function joinParty(m: Member): JoinParty {
  return { node_id: m.id, node_name: m.name, public_key: m.publicKey, addresses: m.addresses };
}

/** A node another instance holds, as the directory lists it. */
export function heldEntry(n: HeldNode): DirectoryEntry {
  return {
    node_id: n.nodeId,
    node_name: n.name,
    public_key: n.publicKey,
    capabilities: [...n.capabilities],
    since: n.since,
  };
}

/** A node another instance holds, as the other end of a room join learns it. */
export function heldParty(n: HeldNode): JoinParty {
  return { node_id: n.nodeId, node_name: n.name, public_key: n.publicKey, addresses: [...n.addresses] };
}

/** What the backplane shares of a member this instance holds. */
export function nodeRecord(m: Member): NodeRecord {
  return {
    nodeId: m.id,
    publicKey: m.publicKey,
    name: m.name,
    capabilities: m.capabilities,
    addresses: m.addresses,
    listed: m.listed,
    since: m.since,
  };
}

/**
 * The nodes this instance holds, and the listing: the directory entries, kept as JSON text, of
 * the listed nodes of every instance (other instances' come through the backplane). `registered`
 * carries the whole directory, so its text is kept joined: a registration appends one entry (the
 * engine keeps the concatenation as a rope, so a join wave costs no rebuild per node); only a
 * node leaving the listing makes the next registration join the entries again.
 */
export class Directory {
  readonly #members = new Map<string, Member>();
  readonly #entries = new Map<string, string>();
  #joined: string | undefined = "";
  #bytes = 0;
  readonly #maxBytes: number;

  /** `maxBytes` bounds the listing's JSON, so `registered` always fits a socket's send buffer. */
  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  get size(): number {
    return this.#members.size;
  }

  get listedCount(): number {
    return this.#entries.size;
  }

  get(id: string): Member | undefined {
    return this.#members.get(id);
  }

  members(): IterableIterator<Member> {
    return this.#members.values();
  }

  /** Adds or replaces a node's record. Listing is separate: call `list` once others may see it. */
  put(m: Member): void {
    this.#members.set(m.id, m);
  }

  /** Removes a node; true when it was listed (others must be told it is gone). */
  remove(id: string): boolean {
    this.#members.delete(id);
    return this.unlist(id);
  }

  isListed(id: string): boolean {
    return this.#entries.has(id);
  }

  /**
   * Lists `m` (again, after a change); returns its entry as JSON text, what others are told, or
   * undefined when the listing is full (`m` is then not listed, even if it was before).
   */
  list(m: Member): string | undefined {
    const entry = JSON.stringify(directoryEntry(m));
    return this.listEntry(m.id, entry) ? entry : undefined;
  }

  /** Lists `entry` (JSON text of a directory entry) under `id`; false, and `id` unlisted, when full. */
  listEntry(id: string, entry: string): boolean {
    const had = this.unlist(id);
    const size = Buffer.byteLength(entry) + 1;
    if (this.#bytes + size > this.#maxBytes) return false;
    this.#entries.set(id, entry);
    this.#bytes += size;
    if (!had && this.#joined !== undefined) {
      this.#joined = this.#joined === "" ? entry : `${this.#joined},${entry}`;
    }
    return true;
  }

  /** The listed entry of `id` as JSON text, if it is listed. */
  entry(id: string): string | undefined {
    return this.#entries.get(id);
  }

  /** Takes `id` out of the listing; true when it was in it. */
  unlist(id: string): boolean {
    const entry = this.#entries.get(id);
    if (entry === undefined) return false;
    this.#entries.delete(id);
    this.#bytes -= Buffer.byteLength(entry) + 1;
    this.#joined = undefined;
    return true;
  }

  /** The listed entries as the inside of a JSON array. */
  entriesJson(): string {
    if (this.#joined === undefined) this.#joined = [...this.#entries.values()].join(",");
    return this.#joined;
  }
}
