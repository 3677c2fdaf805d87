/**
 * The network-namespace half of bench/webrtc.ts: the same two figures between two hosts on two
 * LANs behind endpoint-independent NATs, each router's WAN delaying what it sends by 20 ms (so
 * 40 ms more between the hosts and back), with a compiled lobby on the simulated internet
 * (tests/net/nat-world.ts `benchWorld`; root, iproute2 and iptables needed).
 *
 * The sender has to be a node in the bench's own process, as on loopback, so the bench runs again
 * inside the first host's namespace (`--inside-netns`, given where everything is as JSON) and
 * prints its figures there; this side builds the world, reads that line and tears the world down.
 * The receiver, the compiled binary, runs in the second host's namespace, reached through a
 * loopback bridge for its local API. For the direct rounds its router forwards its peer port (a
 * port forward a person can set up at home), so direct and WebRTC cross the same delayed NATs.
 */
import { join } from "node:path";
import { loopbackBridge } from "../tests/net/loopback-bridge.ts";
import { benchWorld, type NatWorld, shIn } from "../tests/net/nat-world.ts";
import { inNs } from "../tests/net/netns.ts";
import type { BinaryPlacement } from "./binary-node.ts";

/** Where things are, for the bench run inside the sender's namespace. */
export interface InsideNetns {
  lobbyUrl: string;
  lobbyPid: number;
  receiver: { ns: string; ip: string; router: { ns: string; wanIp: string } };
  delayMs: number;
  /** A folder for the bridge's socket. */
  dir: string;
}

/** Why the namespaces cannot be built here, or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "not measured: network namespaces need root";
  const missing = ["ip", "iptables"].filter((tool) => !Bun.which(tool));
  if (missing.length > 0)
    return `not measured: ${missing.join(" and ")} missing (apt-get install -y iproute2 iptables)`;
  return undefined;
}

/**
 * Builds the world, runs `args` of bench/webrtc.ts inside the sender's namespace and returns the
 * figures it printed. `defer` gets the teardown, so a run cut short leaves no namespace behind.
 */
export async function runInNetns(opts: {
  binary: string;
  args: string[];
  dir: string;
  delayMs: number;
  log(line: string): void;
  defer(step: () => Promise<void>): void;
}): Promise<Record<string, unknown>> {
  const world: NatWorld = await benchWorld(opts.binary, opts.delayMs);
  opts.defer(async () => world.teardown());
  const [sender, receiverLan] = [world.topology.lans[0]!, world.topology.lans[1]!];
  const inside: InsideNetns = {
    lobbyUrl: world.lobby.address,
    lobbyPid: world.lobby.proc.pid,
    receiver: { ns: receiverLan.hosts[0]!.ns, ip: receiverLan.hosts[0]!.ip, router: receiverLan.router },
    delayMs: opts.delayMs,
    dir: opts.dir,
  };
  opts.log(
    `netns: sender ${sender.hosts[0]!.ip} behind ${sender.router.wanIp}, receiver ${inside.receiver.ip} behind ${receiverLan.router.wanIp}, ${opts.delayMs} ms on each WAN (${receiverLan.impairedBy ?? "no impairment"})`,
  );
  const proc = Bun.spawn(
    inNs(sender.hosts[0]!.ns, [
      process.execPath,
      join(import.meta.dir, "webrtc.ts"),
      ...opts.args,
      "--inside-netns",
      JSON.stringify(inside),
    ]),
    { stdin: "ignore", stdout: "pipe", stderr: "inherit" },
  );
  const [out, code] = [await new Response(proc.stdout).text(), await proc.exited];
  const line = out.trim().split("\n").at(-1) ?? "";
  if (code !== 0 || !line.startsWith("{"))
    throw new Error(`the run inside the namespaces failed (exit ${code})`);
  return { ...(JSON.parse(line) as Record<string, unknown>), impaired_by: receiverLan.impairedBy ?? null };
}

/**
 * Inside the sender's namespace: the receiver's placement in its own, with a loopback bridge for
 * its API and its router forwarding its peer port. The bridge closes with `defer`'s steps; the
 * forward goes with the router's namespace.
 */
export async function receiverPlacement(
  inside: InsideNetns,
  defer: (step: () => Promise<void>) => void,
): Promise<BinaryPlacement> {
  const bridge = await loopbackBridge(inside.receiver.ns, inside.dir);
  defer(async () => bridge.close());
  const port = String(bridge.port);
  shIn(inside.receiver.router.ns, [
    "iptables",
    "-t",
    "nat",
    "-A",
    "PREROUTING",
    "-i",
    "wan",
    "-p",
    "tcp",
    "--dport",
    port,
    "-j",
    "DNAT",
    "--to-destination",
    `${inside.receiver.ip}:${port}`,
  ]);
  return {
    prefix: inNs(inside.receiver.ns, []),
    host: "0.0.0.0",
    port: bridge.port,
    peerAddress: `ws://${inside.receiver.router.wanIp}:${port}/peer-ws`,
  };
}
