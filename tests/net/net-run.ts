import { expect } from "bun:test";
import type { RunningBinary } from "../helpers/binary.ts";
import { waitFor } from "../helpers/browser.ts";
import { chatTab } from "../helpers/chat-tab.ts";
import {
  createTokenRoom,
  joinWithToken,
  type LobbyBinaryNode,
  lobbyState,
  received,
} from "../helpers/lobby-binary-nodes.ts";
import { lobbyEvent } from "../helpers/lobby-nodes.ts";
import { buildTopology, type Host, type LanSpec, type Topology } from "./nat-topology.ts";
import { type NatWorld, startNatWorld } from "./nat-world.ts";
import { type NetNode, type NetNodeOptions, startNetNode } from "./net-nodes.ts";

/**
 * What one NAT test file holds: the world of the test running, its nodes and tabs, and a cleanUp
 * for `afterEach` and `afterAll` that closes the tabs and removes the world, nodes and all.
 */
export function netRun(bin: () => string) {
  const keep: { nodes: RunningBinary[]; tabs: Array<{ close(): void }> } = { nodes: [], tabs: [] };
  let topology: Topology | undefined;
  let current: NatWorld | undefined;
  const started: NetNode[] = [];
  return {
    keep,
    /** Builds a fresh world with its lobby and coturn (a test's own, removed by cleanUp). */
    async world(lans: LanSpec[]): Promise<NatWorld> {
      current = await startNatWorld(bin(), lans);
      topology = current.topology;
      return current;
    },
    /** Builds a fresh topology with no service on its internet (removed by cleanUp). */
    async bare(lans: LanSpec[]): Promise<Topology> {
      topology = await buildTopology({ lans });
      return topology;
    },
    /** Starts a node in `host` of the current world or topology. */
    async node(host: Host, opts: Omit<NetNodeOptions, "bin" | "keep">): Promise<NetNode> {
      if (!topology) throw new Error("no topology: call world() or bare() first");
      const node = await startNetNode(topology, host, { ...opts, bin: bin(), keep });
      started.push(node);
      return node;
    },
    /** Every log of the current world, for a failure to quote. */
    logs(): string {
      const nodes = started.map((n) => `--- ${n.run.proc.pid} log:\n${n.log.text}`);
      if (!current) return nodes.join("\n");
      return [
        ...nodes,
        `--- lobby log:\n${current.lobby.log.text}`,
        `--- coturn log (tail):\n${current.turn.log().slice(-4000)}`,
      ].join("\n");
    },
    cleanUp(): void {
      for (const tab of keep.tabs.splice(0)) tab.close();
      keep.nodes.splice(0);
      started.splice(0);
      topology?.teardown();
      topology = undefined;
      current = undefined;
    },
  };
}

export type NetRun = ReturnType<typeof netRun>;

/** Waits until the node's Lobby pane, asked afresh, says it is registered. */
export async function registered(node: LobbyBinaryNode): Promise<void> {
  await waitFor(
    async () => (await lobbyState(node)).status === "connected",
    "registration with the lobby",
    10_000,
  );
}

/**
 * The host (on the first LAN) makes a token room and the guest (on the second) joins it with the
 * token, as two people would through their Lobby panes. Resolves with both nodes and the guest's
 * `join_progress` once it reached `connected`, or throws with every log when it failed.
 */
export async function pairThroughRoom(
  run: NetRun,
  world: NatWorld,
  settings: { host: Record<string, unknown>; guest: Record<string, unknown> },
  logLevel?: NetNodeOptions["logLevel"],
): Promise<{ host: NetNode; guest: NetNode; joined: { step: string; transport?: string } }> {
  const [hostNs, guestNs] = [world.topology.lans[0]!.hosts[0]!, world.topology.lans[1]!.hosts[0]!];
  const lobbyUrl = world.lobby.address;
  const [host, guest] = await Promise.all([
    run.node(hostNs, { name: "host", lobbyUrl, settings: settings.host, ...(logLevel ? { logLevel } : {}) }),
    run.node(guestNs, {
      name: "guest",
      lobbyUrl,
      settings: settings.guest,
      ...(logLevel ? { logLevel } : {}),
    }),
  ]);
  await registered(host);
  await registered(guest);
  const room = await createTokenRoom(host, "unlisted", 10_000);
  joinWithToken(guest, room);
  const ended = (
    await guest.tab
      .next(
        lobbyEvent("join_progress", (d) => d.step === "connected" || d.step === "failed"),
        15_000,
      )
      .catch(() => ({ data: { step: "no answer in 15 s" } }))
  ).data as { step: string; transport?: string; error?: string };
  if (ended.step !== "connected") {
    const steps = guest.tab.frames.filter(lobbyEvent("join_progress")).map((f) => JSON.stringify(f.data));
    throw new Error(
      `the join did not connect: ${ended.error ?? ended.step}\n${steps.join("\n")}\n${run.logs()}`,
    );
  }
  return { host, guest, joined: ended };
}

/** Sends `count` messages each way and waits until each arrived exactly once, and stays so. */
export async function chatBothWays(
  run: NetRun,
  a: LobbyBinaryNode,
  b: LobbyBinaryNode,
  tag: string,
  count = 1,
): Promise<void> {
  const [aChat, bChat] = [await chatTab(a.run.port), await chatTab(b.run.port)];
  run.keep.tabs.push(aChat.tab, bChat.tab);
  const texts = (from: string) => Array.from({ length: count }, (_, i) => `${tag}: ${i + 1} from ${from}`);
  for (const [i, text] of texts("a").entries()) {
    aChat.send(b.nodeId, text);
    bChat.send(a.nodeId, texts("b")[i]!);
  }
  const all = async () => {
    const counts = [
      ...(await Promise.all(texts("a").map((t) => received(b, a, t)))),
      ...(await Promise.all(texts("b").map((t) => received(a, b, t)))),
    ];
    return counts;
  };
  await waitFor(
    async () => (await all()).every((c) => c === 1),
    `${count} message(s) each way (${tag})`,
    15_000,
  );
  // Resends of what was not yet acknowledged must not show twice.
  await Bun.sleep(500);
  expect(await all()).toEqual(Array(count * 2).fill(1));
}
