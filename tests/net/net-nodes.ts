import { join } from "node:path";
import type { RunningBinary } from "../helpers/binary.ts";
import { type LobbyBinaryNode, startLobbyBinaryNode } from "../helpers/lobby-binary-nodes.ts";
import { tempDir } from "../helpers/temp-dir.ts";
import { loopbackBridge } from "./loopback-bridge.ts";
import type { Host, Topology } from "./nat-topology.ts";
import { inNs } from "./netns.ts";

/** A compiled node running in a host namespace, reached from here through its loopback bridge. */
export interface NetNode extends LobbyBinaryNode {
  host: Host;
  dataDir: string;
}

export interface NetNodeOptions {
  bin: string;
  name: string;
  /** Its `network.lobbyUrl`; blank for none. */
  lobbyUrl?: string;
  settings?: Record<string, unknown>;
  /** Its data dir, to start a node again with the identity and peers it had; default a fresh one. */
  dataDir?: string;
  keep: { nodes: RunningBinary[]; tabs: Array<{ close(): void }> };
  /** Its `--log-level` (default info). */
  logLevel?: "error" | "warn" | "info" | "debug";
}

/**
 * Starts the binary inside `host`'s namespace, listening on all its interfaces (its LAN address,
 * for direct links and mDNS) on the port of a fresh loopback bridge, so its UI and API are at
 * `http://localhost:<port>/` here as for a node on this machine; its log is kept for failures.
 * The bridge closes with the topology.
 */
export async function startNetNode(topology: Topology, host: Host, opts: NetNodeOptions): Promise<NetNode> {
  const folder = tempDir(`weft-net-${opts.name}-`);
  const dataDir = opts.dataDir ?? join(folder, "data");
  const bridge = await loopbackBridge(host.ns, folder);
  topology.defer(() => bridge.close());
  const node = await startLobbyBinaryNode({
    bin: opts.bin,
    name: opts.name,
    lobbyUrl: opts.lobbyUrl ?? "",
    settings: opts.settings ?? {},
    folder,
    dataDir,
    keepLog: true,
    keep: opts.keep,
    launch: {
      prefix: inNs(host.ns, []),
      host: "0.0.0.0",
      port: bridge.port,
      args: ["--log-level", opts.logLevel ?? "info"],
    },
  });
  return { ...node, host, dataDir };
}

/** Sends SIGTERM and waits for the node to exit, as a person quitting it would. */
export async function stopNetNode(node: NetNode): Promise<void> {
  if (node.run.proc.exitCode === null) await node.run.signal("SIGTERM");
  node.tab.close();
}
