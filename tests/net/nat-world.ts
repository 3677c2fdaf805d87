import { buildTopology, type LanSpec, type Topology } from "./nat-topology.ts";
import { type NetLobby, type NetTurn, startNetLobby, startNetTurn } from "./net-services.ts";

/**
 * A whole simulated internet for a test or a bench: the topology, with a compiled lobby and coturn
 * on its public addresses. Run a command in one of its namespaces with `shIn` / `spawnIn`, start
 * a compiled node behind a NAT with `startNetNode`; all are exported from here.
 */
export interface NatWorld {
  topology: Topology;
  lobby: NetLobby;
  turn: NetTurn;
  /** Stops the lobby, coturn and every process in the namespaces, and removes them all. */
  teardown(): void;
}

export { INTERNET, type Topology } from "./nat-topology.ts";
export { type NetNode, startNetNode, stopNetNode } from "./net-nodes.ts";
export { shIn, spawnIn } from "./netns.ts";

/**
 * Builds the topology of `lans` and starts the lobby and coturn in it. If a service fails to start,
 * everything made so far is removed before the error is thrown.
 */
export async function startNatWorld(bin: string, lans: LanSpec[]): Promise<NatWorld> {
  const topology = await buildTopology({ lans });
  try {
    const [lobby, turn] = await Promise.all([startNetLobby(topology, bin), startNetTurn(topology)]);
    return { topology, lobby, turn, teardown: () => topology.teardown() };
  } catch (err) {
    topology.teardown();
    throw err;
  }
}

/**
 * What a WebRTC bench runs on: two LANs, one host each, behind endpoint-independent NATs, each
 * router's WAN delaying what it sends by `delayMs` (20 ms by default, so 40 ms between the hosts
 * and back), with the lobby and coturn.
 */
export function benchWorld(bin: string, delayMs = 20): Promise<NatWorld> {
  const wan = { delayMs, lossPct: 0 };
  return startNatWorld(bin, [
    { nat: "eim", wan },
    { nat: "eim", wan },
  ]);
}
