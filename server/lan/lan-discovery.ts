import { LAN_NAME_MAX } from "../../protocol/lan.ts";
import { PROTOCOL_VERSION } from "../../protocol/version.ts";
import type { Logger } from "../log.ts";
import { type HeardNode, HeardNodes } from "./heard-nodes.ts";
import type { Browse, HeardService, Mdns } from "./mdns.ts";

/**
 * How often the network is asked again who is there. A node that stops cleanly says goodbye and
 * leaves at once; one that crashed or left the Wi-Fi is gone once it missed two of these.
 */
export const LAN_SWEEP_MS = 20_000;

/** What this node announces: its name and the port of `/peer-ws`; undefined to announce nothing. */
export interface SelfAd {
  name: string;
  port: number;
}

export interface LanDiscoveryDeps {
  selfId: string;
  log: Logger;
  /** A fresh mDNS socket for each start. */
  mdns(report: (problem: string, err: Error) => void): Mdns;
  /** What to announce now, or why nothing is (the node listens on loopback only). */
  advertisement(): SelfAd | { reason: string };
  /** The heard list changed: a node came, went, or moved. */
  changed(node: HeardNode, kind: "added" | "changed" | "gone"): void;
  sweepMs?: number;
  now?(): number;
}

/**
 * Announces this node as `_weft._tcp` and listens for others, for as long as it is started. Each
 * sweep starts a new browse (so every node still there answers again) and drops the nodes that
 * did not answer the last two. Nothing here decides what a heard node means: the LAN feature does.
 */
export class LanDiscovery {
  readonly #d: LanDiscoveryDeps;
  readonly #heard: HeardNodes;
  readonly #sweepMs: number;
  #mdns: Mdns | undefined;
  #browse: Browse | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #problem: string | null = null;

  constructor(deps: LanDiscoveryDeps) {
    this.#d = deps;
    this.#heard = new HeardNodes(deps.selfId);
    this.#sweepMs = deps.sweepMs ?? LAN_SWEEP_MS;
  }

  get running(): boolean {
    return this.#mdns !== undefined;
  }

  /** Why discovery is on but not fully working, in a sentence; null when it is. */
  get problem(): string | null {
    return this.#problem;
  }

  heard(): HeardNode[] {
    return this.#heard.list();
  }

  get(nodeId: string): HeardNode | undefined {
    return this.#heard.get(nodeId);
  }

  start(): void {
    if (this.#mdns) return;
    this.#problem = null;
    const mdns = this.#d.mdns((problem, err) => this.#report(problem, err));
    this.#mdns = mdns;
    const ad = this.#d.advertisement();
    if ("reason" in ad) this.#problem = ad.reason;
    else {
      try {
        mdns.advertise({
          instance: instanceName(ad.name, this.#d.selfId),
          host: `weft-${this.#d.selfId}.local`,
          port: ad.port,
          txt: { id: this.#d.selfId, name: ad.name.slice(0, LAN_NAME_MAX), v: String(PROTOCOL_VERSION) },
        });
      } catch (err) {
        this.#report("could not announce this node", err as Error);
      }
    }
    this.#sweep();
    this.#timer = setInterval(() => this.#sweep(), this.#sweepMs);
  }

  /** Says goodbye on the network and forgets every node heard; each is told as gone. */
  async stop(): Promise<void> {
    const mdns = this.#mdns;
    if (!mdns) return;
    this.#mdns = undefined;
    clearInterval(this.#timer);
    this.#browse?.stop();
    this.#browse = undefined;
    const gone = this.#heard.list();
    this.#heard.clear();
    for (const node of gone) this.#tell(node, "gone");
    await mdns.close();
  }

  #sweep(): void {
    const mdns = this.#mdns;
    if (!mdns) return;
    const now = this.#now();
    // Two sweeps unanswered, with a little slack for an answer that is still on its way.
    for (const node of this.#heard.expire(now - 2 * this.#sweepMs - 1_000)) this.#tell(node, "gone");
    try {
      const next = mdns.browse({ up: (s) => this.#up(s), down: (fqdn) => this.#down(fqdn) });
      this.#browse?.stop();
      this.#browse = next;
    } catch (err) {
      this.#report("could not ask the network who is there", err as Error);
    }
  }

  #up(service: HeardService): void {
    const heard = this.#heard.hear(service, this.#now());
    if (typeof heard === "string") {
      if (heard !== "self") this.#d.log.debug("mDNS answer not taken", { why: heard });
      return;
    }
    if (heard.change !== "seen") this.#tell(heard.node, heard.change);
  }

  #down(fqdn: string): void {
    const node = this.#heard.lose(fqdn);
    if (node) this.#tell(node, "gone");
  }

  #tell(node: HeardNode, kind: "added" | "changed" | "gone"): void {
    try {
      this.#d.changed(node, kind);
    } catch (err) {
      this.#d.log.error("LAN discovery listener failed", { error: (err as Error).message });
    }
  }

  #report(problem: string, err: Error): void {
    this.#d.log.warn(`LAN discovery: ${problem}`, { error: err.message });
    // A malformed packet is someone else's doing; the socket failing is this node's problem.
    if (problem.startsWith("mDNS could not")) this.#problem = `${problem}: ${err.message}`;
  }

  #now(): number {
    return this.#d.now?.() ?? Date.now();
  }
}

/**
 * The DNS-SD instance name a browser lists, `alice (abcd1234)`. Dots would split it into labels
 * and a label holds at most 63 bytes, so the name is cut to plain characters that fit.
 */
export function instanceName(name: string, nodeId: string): string {
  const plain = name.replace(/[.\p{Cc}]/gu, " ").trim();
  const short = nodeId.slice(0, 8);
  let cut = plain;
  while (Buffer.byteLength(`${cut} (${short})`) > 63) cut = [...cut].slice(0, -1).join("");
  return cut.trim() ? `${cut.trim()} (${short})` : `weft (${short})`;
}
