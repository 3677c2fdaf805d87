import { isIPv4 } from "node:net";
import { type LanRecord, lanRecord, NEARBY_MAX } from "../../protocol/lan.ts";
import { PROTOCOL_VERSION } from "../../protocol/version.ts";
import type { HeardService } from "./mdns.ts";

/** A weft node heard on this network: its checked record and where to dial it. */
export interface HeardNode {
  nodeId: string;
  name: string;
  /** `ws://<ipv4>:<port>/peer-ws`, from the address the answer came from. */
  address: string;
  seenAt: number;
}

/** Why a service was not taken, for the debug log and the tests. */
export type Refusal = "malformed" | "self" | "version" | "full";

/**
 * The nodes heard on this network, at most `NEARBY_MAX`. Every answer is someone else's word:
 * its TXT and port are parsed (protocol/lan.ts) and the address to dial is the one the packet
 * came from, never one the record names, so an answer cannot point this node at another host.
 * A node is keyed by its id, so one that re-announces under another service name is still one.
 */
export class HeardNodes {
  readonly #selfId: string;
  readonly #max: number;
  readonly #nodes = new Map<string, HeardNode>();
  /** The service name each node was last heard under, to find it again on a goodbye. */
  readonly #services = new Map<string, string>();

  constructor(selfId: string, max = NEARBY_MAX) {
    this.#selfId = selfId;
    this.#max = max;
  }

  /** Takes an answer; says what changed (`added`, `changed`, `seen`) or why it was refused. */
  hear(
    service: HeardService,
    now: number,
  ): { node: HeardNode; change: "added" | "changed" | "seen" } | Refusal {
    const record = parseRecord(service);
    if (!record || !service.from || !isIPv4(service.from)) return "malformed";
    if (record.id === this.#selfId) return "self";
    if (record.v !== PROTOCOL_VERSION) return "version";
    const before = this.#nodes.get(record.id);
    if (!before && this.#nodes.size >= this.#max) return "full";
    const node: HeardNode = {
      nodeId: record.id,
      name: record.name,
      address: `ws://${service.from}:${record.port}/peer-ws`,
      seenAt: now,
    };
    this.#nodes.set(node.nodeId, node);
    this.#services.set(node.nodeId, service.fqdn);
    if (!before) return { node, change: "added" };
    const same = before.name === node.name && before.address === node.address;
    return { node, change: same ? "seen" : "changed" };
  }

  /** A goodbye for a service: the node it named is gone. */
  lose(fqdn: string): HeardNode | undefined {
    const id = [...this.#services].find(([, name]) => name === fqdn)?.[0];
    const node = id === undefined ? undefined : this.#nodes.get(id);
    if (node) this.#drop(node.nodeId);
    return node;
  }

  /** Drops nodes not heard since `before` (a crash sends no goodbye); returns them. */
  expire(before: number): HeardNode[] {
    const gone = [...this.#nodes.values()].filter((n) => n.seenAt < before);
    for (const n of gone) this.#drop(n.nodeId);
    return gone;
  }

  get(nodeId: string): HeardNode | undefined {
    return this.#nodes.get(nodeId);
  }

  list(): HeardNode[] {
    return [...this.#nodes.values()];
  }

  clear(): void {
    this.#nodes.clear();
    this.#services.clear();
  }

  #drop(nodeId: string): void {
    this.#nodes.delete(nodeId);
    this.#services.delete(nodeId);
  }
}

/** The TXT strings of a record and its SRV port, parsed; undefined for anything malformed. */
export function parseRecord(service: HeardService): LanRecord | undefined {
  const txt = service.txt;
  if (typeof txt !== "object" || txt === null) return undefined;
  const t = txt as Record<string, unknown>;
  const parsed = lanRecord.safeParse({ id: t.id, name: t.name, v: t.v, port: service.port });
  return parsed.success ? parsed.data : undefined;
}
