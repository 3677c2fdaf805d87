import {
  addNamespace,
  freshTag,
  namespacesOf,
  removeNamespace,
  sh,
  shIn,
  sweepStaleNamespaces,
} from "./netns.ts";
import { type Impairment, linkWan } from "./wan-link.ts";

export type { Impairment } from "./wan-link.ts";

/**
 * A simulated internet in network namespaces: an "internet" namespace holding one bridge, on which
 * the public services (a lobby, a TURN server) have their addresses; and LANs, each a router
 * namespace (its WAN on the internet bridge with a public address, NAT towards it, its LAN side a
 * bridge) with one or two host namespaces behind it, each with a LAN address only. Nothing is put
 * in the namespace of the process that builds it: a host namespace has no route but its router,
 * so every packet of a node in it crosses its NAT.
 */

/** Public addresses, from TEST-NET-3 so they clash with no real network. */
export const INTERNET = {
  subnet: "203.0.113.0/24",
  gateway: "203.0.113.1",
  lobby: "203.0.113.10",
  turn: "203.0.113.20",
} as const;

/**
 * How a router maps its LAN onto its public address:
 * - `eim`: endpoint-independent mapping (`MASQUERADE`, which keeps a flow's source port), so the
 *   mapping a STUN server sees is the one a peer can send to, once this side sent to it;
 * - `symmetric`: a fresh random port per destination (`MASQUERADE --random-fully`) and only
 *   replies let in from the WAN, so the mapping made for the STUN server is of no use to a peer.
 */
export type NatKind = "eim" | "symmetric";

export interface LanSpec {
  nat: NatKind;
  /** Host namespaces behind the router (default 1). */
  hosts?: number;
  /** Delay and loss on what leaves the router towards the internet. */
  wan?: Impairment;
}

export interface Host {
  ns: string;
  ip: string;
  /** Its LAN, 1-based. */
  lan: number;
}

export interface Lan {
  index: number;
  /** `10.201.<index>.0/24`. */
  subnet: string;
  router: { ns: string; wanIp: string; lanIp: string };
  hosts: Host[];
  nat: NatKind;
  /** How the WAN's impairment is made here, if it has one (wan-link.ts). */
  impairedBy?: "netem" | "delay-line";
}

export interface Topology {
  tag: string;
  internet: { ns: string };
  lans: Lan[];
  /** Every host of every LAN, in order. */
  hosts: Host[];
  /** Replaces the router's NAT and filter rules with those of `kind`. */
  setNat(lan: Lan, kind: NatKind): void;
  /** Adds a step to teardown, run before the namespaces go (newest first). */
  defer(step: () => void): void;
  /** Stops everything it runs and removes every namespace and interface; safe to call twice. */
  teardown(): void;
}

const live = new Set<Topology>();
let exitHooked = false;

/** Tears down whatever topology is still up when the process exits or is interrupted. */
function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on("exit", () => {
    for (const t of [...live]) t.teardown();
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      for (const t of [...live]) t.teardown();
      // A bench that handles the signal too ends the process itself, once its own cleanup is done.
      if (process.listenerCount(signal) === 0) process.exit(130);
    });
  }
}

/**
 * Builds the namespaces, links and rules of `spec`. Stale namespaces of dead runs are swept first;
 * if any step fails, what was made so far is removed before the error is thrown.
 */
export async function buildTopology(spec: { lans: LanSpec[] }): Promise<Topology> {
  checkTools();
  hookExit();
  sweepStaleNamespaces();
  const tag = freshTag();
  const steps: Array<() => void> = [];
  const inet = `${tag}-inet`;
  let down = false;
  const topology: Topology = {
    tag,
    internet: { ns: inet },
    lans: [],
    hosts: [],
    setNat,
    defer: (step) => void steps.push(step),
    teardown() {
      if (down) return;
      down = true;
      live.delete(topology);
      for (const step of steps.splice(0).reverse()) {
        try {
          step();
        } catch {
          // A step whose object is gone already; the namespaces still go below.
        }
      }
      // Hosts and routers first: the internet namespace holds the delay lines their WANs hang on.
      for (const ns of namespacesOf(tag).sort((a, b) => Number(a === inet) - Number(b === inet))) {
        removeNamespace(ns);
      }
    },
  };
  live.add(topology);
  try {
    addNamespace(inet);
    shIn(inet, ["ip", "link", "add", "inet0", "type", "bridge"]);
    shIn(inet, ["ip", "link", "set", "inet0", "up"]);
    for (const ip of [INTERNET.gateway, INTERNET.lobby, INTERNET.turn]) {
      shIn(inet, ["ip", "addr", "add", `${ip}/24`, "dev", "inet0"]);
    }
    defaultRouteToNowhere(inet);
    for (const [i, lanSpec] of spec.lans.entries()) {
      const lan = await buildLan(tag, inet, i + 1, lanSpec);
      topology.lans.push(lan);
      topology.hosts.push(...lan.hosts);
      setNat(lan, lanSpec.nat);
    }
    return topology;
  } catch (err) {
    topology.teardown();
    throw err;
  }
}

/** Fails at once, saying what to install, where the topology cannot be built. */
function checkTools(): void {
  if (process.getuid?.() !== 0)
    throw new Error("the NAT tests make network namespaces (ip netns): run them as root");
  const need: Array<[string, string]> = [
    ["ip", "iproute2"],
    ["tc", "iproute2"],
    ["ss", "iproute2"],
    ["iptables", "iptables"],
  ];
  const missing = need.filter(([tool]) => !Bun.which(tool)).map(([, pkg]) => pkg);
  if (missing.length > 0)
    throw new Error(`missing for the NAT tests: apt-get install -y ${[...new Set(missing)].join(" ")}`);
}

/**
 * A server on the internet has a default route, so a packet it sends to a private address of
 * someone's LAN leaves it and is lost on the way. Without one, the send fails at once, and coturn
 * ends a whole allocation when a relayed send fails: every ICE check a peer asks it to relay to
 * the other side's host candidate (10.201.x.y) would kill the TURN allocation that ICE needs. The
 * route goes out of a veth whose far end has no address, to a neighbour entry fixed in place, so
 * no ARP is asked and nothing is answered.
 */
function defaultRouteToNowhere(inet: string): void {
  shIn(inet, ["ip", "link", "add", "void0", "type", "veth", "peer", "name", "void1"]);
  shIn(inet, ["ip", "link", "set", "void0", "up"]);
  shIn(inet, ["ip", "link", "set", "void1", "up"]);
  shIn(inet, ["ip", "route", "add", "default", "via", "198.51.100.1", "dev", "void0", "onlink"]);
  shIn(inet, [
    "ip",
    "neigh",
    "replace",
    "198.51.100.1",
    "lladdr",
    "02:00:00:00:00:01",
    "dev",
    "void0",
    "nud",
    "permanent",
  ]);
}

/** One router with its WAN on the internet bridge and its LAN bridge, and its hosts behind it. */
async function buildLan(tag: string, inet: string, index: number, spec: LanSpec): Promise<Lan> {
  const router = `${tag}-r${index}`;
  const lan: Lan = {
    index,
    subnet: `10.201.${index}.0/24`,
    router: { ns: router, wanIp: `203.0.113.${100 + index}`, lanIp: `10.201.${index}.1` },
    hosts: [],
    nat: spec.nat,
  };
  addNamespace(router);
  // The internet side of this router's WAN is `r<index>` on the internet bridge.
  const port = `r${index}`;
  const impairedBy = await linkWan(inet, router, port, spec.wan);
  if (impairedBy) lan.impairedBy = impairedBy;
  shIn(inet, ["ip", "link", "set", port, "master", "inet0"]);
  shIn(inet, ["ip", "link", "set", port, "up"]);
  shIn(router, ["ip", "addr", "add", `${lan.router.wanIp}/24`, "dev", "wan"]);
  shIn(router, ["ip", "link", "set", "wan", "up"]);
  // Whatever is not on the internet's subnet goes to its gateway, which forwards nothing: a
  // private address of another LAN is dropped on the way, as the internet drops it.
  shIn(router, ["ip", "route", "add", "default", "via", INTERNET.gateway]);
  shIn(router, ["ip", "link", "add", "lan0", "type", "bridge"]);
  shIn(router, ["ip", "addr", "add", `${lan.router.lanIp}/24`, "dev", "lan0"]);
  shIn(router, ["ip", "link", "set", "lan0", "up"]);
  // Written in /proc rather than with sysctl, which a minimal system may lack; /proc/sys/net is the
  // namespace's own for a process inside it.
  shIn(router, ["sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"]);
  for (let j = 1; j <= (spec.hosts ?? 1); j++) {
    const ns = `${tag}-h${index}${j}`;
    const ip = `10.201.${index}.${1 + j}`;
    addNamespace(ns);
    sh(["ip", "link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", `h${j}`, "netns", router]);
    shIn(router, ["ip", "link", "set", `h${j}`, "master", "lan0"]);
    shIn(router, ["ip", "link", "set", `h${j}`, "up"]);
    shIn(ns, ["ip", "addr", "add", `${ip}/24`, "dev", "eth0"]);
    shIn(ns, ["ip", "link", "set", "eth0", "up"]);
    shIn(ns, ["ip", "route", "add", "default", "via", lan.router.lanIp]);
    lan.hosts.push({ ns, ip, lan: index });
  }
  return lan;
}

/** The router's NAT and forwarding rules for `kind`, replacing what it had. */
function setNat(lan: Lan, kind: NatKind): void {
  const ipt = (...args: string[]) => shIn(lan.router.ns, ["iptables", ...args]);
  ipt("-t", "nat", "-F", "POSTROUTING");
  ipt("-F", "FORWARD");
  ipt("-F", "INPUT");
  // The router itself takes nothing unasked from the WAN, as every home router's firewall has it.
  // The NAT needs this to keep its mapping: conntrack tracks a packet that arrives for a port of
  // the router before the host behind it sent there (a peer's ICE check racing this side's), and
  // the reply tuple of that entry then collides with the host's outgoing flow, which MASQUERADE
  // moves to another port. A packet dropped in INPUT leaves no entry behind.
  ipt("-A", "INPUT", "-i", "wan", "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT");
  ipt("-A", "INPUT", "-i", "wan", "-j", "DROP");
  if (kind === "eim") {
    ipt("-t", "nat", "-A", "POSTROUTING", "-o", "wan", "-j", "MASQUERADE");
  } else {
    ipt("-t", "nat", "-A", "POSTROUTING", "-o", "wan", "-j", "MASQUERADE", "--random-fully");
    ipt("-A", "FORWARD", "-i", "wan", "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT");
    ipt("-A", "FORWARD", "-i", "wan", "-j", "DROP");
  }
  lan.nat = kind;
}
