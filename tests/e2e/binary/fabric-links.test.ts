import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { type PairResult, type PeerRow, type PeerStatus, peersResponse } from "../../../protocol/network.ts";
import { lonelyBinary, type RunningBinary, startBinary } from "../../helpers/binary.ts";
import { tempDir } from "../../helpers/temp-dir.ts";

/**
 * Two compiled binaries linked over `/peer-ws` on loopback, driven only through their REST API,
 * as two people on one machine would drive them from their browsers.
 */

interface BinaryNode {
  name: string;
  /** The node's own folder (its working directory and home); its data dir is inside. */
  folder: string;
  dataDir: string;
  port: number;
  nodeId: string;
  run: RunningBinary;
  /** Everything the node wrote to stderr so far, shown when a test fails. */
  logs: () => string;
}

let bin: string;
const live: BinaryNode[] = [];

beforeAll(() => {
  ({ bin } = lonelyBinary());
});

async function killLeftovers(): Promise<void> {
  for (const node of live.splice(0)) {
    if (node.run.proc.exitCode === null && node.run.proc.signalCode === null) {
      node.run.proc.kill("SIGKILL");
      await node.run.proc.exited;
    }
  }
}
afterEach(killLeftovers);
afterAll(killLeftovers);

/** A port nobody listens on right now, for a node that must come back on the same one. */
function freePort(): number {
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = s.port!;
  s.stop(true);
  return port;
}

/** Starts a node in its own folder, or restarts one in the folder and on the port it had. */
async function launch(name: string, options: { port?: number; like?: BinaryNode } = {}): Promise<BinaryNode> {
  const folder = options.like?.folder ?? tempDir(`weft-${name}-`);
  const dataDir = join(folder, "data");
  const port = options.like?.port ?? options.port ?? 0;
  const run = await startBinary(
    bin,
    ["--host", "127.0.0.1", "--port", String(port), "--data-dir", dataDir, "--name", name, "--no-open"],
    folder,
  );
  let stderr = "";
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of run.proc.stderr) stderr += decoder.decode(chunk);
  })();
  const nodeId = /node ([a-z2-7]{16})/.exec(run.stdoutLine)?.[1];
  if (!nodeId) throw new Error(`no node id in "${run.stdoutLine}"`);
  const node: BinaryNode = { name, folder, dataDir, port: run.port, nodeId, run, logs: () => stderr };
  live.push(node);
  return node;
}

async function call<T>(node: BinaryNode, method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  // A browser sends its page's origin on every state-changing call; the node refuses others.
  if (method !== "GET") headers.origin = `http://localhost:${node.port}`;
  const res = await fetch(`http://127.0.0.1:${node.port}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${method} ${path} on ${node.name}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

async function peers(node: BinaryNode): Promise<PeerRow[]> {
  return peersResponse.parse(await call(node, "GET", "/api/network/peers")).peers;
}

async function statusOf(node: BinaryNode, other: BinaryNode): Promise<PeerStatus | undefined> {
  return (await peers(node)).find((p) => p.node_id === other.nodeId)?.status;
}

/** Polls `check` until it holds; returns how long that took, or fails after `ms` with the logs. */
async function within(
  ms: number,
  what: string,
  check: () => Promise<boolean>,
  nodes: BinaryNode[],
): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await check()) return performance.now() - started;
    if (performance.now() - started > ms) {
      const logs = nodes.map((n) => `--- ${n.name}\n${n.logs()}`).join("\n");
      throw new Error(`${what}: not within ${ms} ms\n${logs}`);
    }
    await Bun.sleep(10);
  }
}

const bothConnected = (a: BinaryNode, b: BinaryNode) => async () =>
  (await statusOf(a, b)) === "connected" && (await statusOf(b, a)) === "connected";

/** Starts two nodes and pairs B to A with an invite A minted, as in the Peers pane. */
async function pairedNodes(options: { portB?: number } = {}): Promise<{ a: BinaryNode; b: BinaryNode }> {
  const [a, b] = await Promise.all([launch("node-a"), launch("node-b", { port: options.portB })]);
  const { invite } = await call<{ invite: string }>(a, "POST", "/api/network/invite", {});
  const result = await call<PairResult>(b, "POST", "/api/network/pair", { invite });
  expect(result).toMatchObject({ ok: true, peer: { node_id: a.nodeId, status: "connected" } });
  await within(3_000, "both nodes to list each other as connected", bothConnected(a, b), [a, b]);
  return { a, b };
}

/** One TCP socket as the kernel lists it in `/proc/net/tcp{,6}`. */
interface Socket {
  localPort: number;
  remotePort: number;
  state: string;
  inode: string;
}

const TCP_STATE = { established: "01", listen: "0A" } as const;
const canSeeSockets = existsSync("/proc/net/tcp") && existsSync(`/proc/${process.pid}/fd`);

function kernelSockets(): Socket[] {
  const out: Socket[] = [];
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, "utf8").trim().split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      const port = (addr: string) => Number.parseInt(addr.split(":").at(-1) ?? "", 16);
      out.push({ localPort: port(f[1]!), remotePort: port(f[2]!), state: f[3]!, inode: f[9]! });
    }
  }
  return out;
}

/** Inodes of the sockets a process holds open. */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed while we looked
    }
  }
  return inodes;
}

/**
 * Every peer link socket between the two processes, seen from outside by the kernel: sockets B
 * holds towards A's port, and sockets A holds on its port that are not the test's own HTTP
 * connections. A link that was replaced but not closed would linger in one of these lists.
 */
function linkSockets(a: BinaryNode, b: BinaryNode) {
  const all = kernelSockets();
  const ofA = socketInodes(a.run.proc.pid);
  const ofB = socketInodes(b.run.proc.pid);
  const ofTest = socketInodes(process.pid);
  const testPorts = new Set(all.filter((s) => ofTest.has(s.inode)).map((s) => s.localPort));
  const inboundAt = (n: BinaryNode, held: Set<string>) =>
    all.filter(
      (s) =>
        held.has(s.inode) &&
        s.localPort === n.port &&
        s.state !== TCP_STATE.listen &&
        !testPorts.has(s.remotePort),
    );
  return {
    bToA: all.filter((s) => ofB.has(s.inode) && s.remotePort === a.port),
    aToB: all.filter((s) => ofA.has(s.inode) && s.remotePort === b.port),
    atA: inboundAt(a, ofA),
    atB: inboundAt(b, ofB),
  };
}

/** Exactly one established link, dialed by B, whose two ends are the same TCP connection. */
function oneLinkFromB(a: BinaryNode, b: BinaryNode): Socket | undefined {
  const s = linkSockets(a, b);
  const [out] = s.bToA;
  const [inn] = s.atA;
  const single = s.bToA.length === 1 && s.atA.length === 1 && s.aToB.length === 0 && s.atB.length === 0;
  if (!single || !out || !inn) return undefined;
  const sameConnection =
    out.state === TCP_STATE.established &&
    inn.state === TCP_STATE.established &&
    inn.remotePort === out.localPort;
  return sameConnection ? out : undefined;
}

describe("two compiled binaries linked over /peer-ws", () => {
  test("pair with an invite and both list each other as connected", async () => {
    const { a, b } = await pairedNodes();
    const [onA, onB] = await Promise.all([peers(a), peers(b)]);
    expect(onA).toHaveLength(1);
    expect(onB).toHaveLength(1);
    expect(onA[0]).toMatchObject({
      node_id: b.nodeId,
      node_name: "node-b",
      status: "connected",
      transport: "direct",
      trusted: true,
      via: "invite",
      blocked: false,
    });
    expect(onB[0]).toMatchObject({
      node_id: a.nodeId,
      node_name: "node-a",
      status: "connected",
      transport: "direct",
      trusted: true,
      via: "dialed",
      blocked: false,
    });
  });

  test("a clean stop of one node shows it offline on the other within a second", async () => {
    const { a, b } = await pairedNodes();
    const signalled = performance.now();
    const stopped = b.run.signal("SIGTERM");
    await within(
      1_000,
      "A to show B offline after its goodbye",
      async () => (await statusOf(a, b)) === "offline",
      [a, b],
    );
    expect(performance.now() - signalled).toBeLessThanOrEqual(1_000);
    expect((await stopped).code).toBe(0);
    const row = (await peers(a)).find((p) => p.node_id === b.nodeId);
    expect(row).toMatchObject({ trusted: true, rtt_ms: null, transport: null });
  });

  test("a restarted node reconnects with no new invite and both show connected", async () => {
    const { a, b } = await pairedNodes({ portB: freePort() });
    expect((await b.run.signal("SIGTERM")).code).toBe(0);
    await within(1_000, "A to show B offline", async () => (await statusOf(a, b)) === "offline", [a, b]);

    const again = await launch("node-b", { like: b });
    expect(again.nodeId).toBe(b.nodeId);
    expect(again.port).toBe(b.port);
    await within(10_000, "the restarted B and A to be connected again", bothConnected(a, again), [a, again]);

    // Still one pairing on each side, made by the first invite and never made again.
    expect((await peers(a)).map((p) => [p.node_id, p.via])).toEqual([[b.nodeId, "invite"]]);
    expect((await peers(again)).map((p) => [p.node_id, p.via])).toEqual([[a.nodeId, "dialed"]]);
    const audit = await call<{ entries: Array<{ event: string; node_id: string | null }> }>(
      a,
      "GET",
      "/api/network/audit?limit=100",
    );
    expect(audit.entries.filter((e) => e.event === "pair" && e.node_id === b.nodeId)).toHaveLength(1);
  }, 20_000);

  test("a node killed with SIGKILL shows offline on the other within 15 s", async () => {
    const { a, b } = await pairedNodes();
    const killed = performance.now();
    b.run.proc.kill("SIGKILL");
    await within(15_000, "A to show the killed B offline", async () => (await statusOf(a, b)) === "offline", [
      a,
      b,
    ]);
    expect(performance.now() - killed).toBeLessThanOrEqual(15_000);
    expect(await b.run.proc.exited).not.toBe(0);
  }, 30_000);

  test("a second link from the same peer replaces the first, which is closed and not leaked", async () => {
    const { a, b } = await pairedNodes();
    let first: Socket | undefined;
    if (canSeeSockets) {
      await within(
        3_000,
        "one link socket after pairing",
        async () => {
          first = oneLinkFromB(a, b);
          return first !== undefined;
        },
        [a, b],
      );
    }

    const address = `ws://127.0.0.1:${a.port}/peer-ws`;
    const result = await call<PairResult>(b, "POST", "/api/network/connect", { address });
    expect(result).toMatchObject({ ok: true, peer: { node_id: a.nodeId, status: "connected" } });

    // Watch both sides for a second: each lists the other once, and a brief flap away from
    // connected is tolerated only if it recovers.
    const flaps: string[] = [];
    const until = performance.now() + 1_000;
    let last: Array<PeerStatus | undefined> = [];
    while (performance.now() < until) {
      const [onA, onB] = await Promise.all([peers(a), peers(b)]);
      expect(onA.map((p) => p.node_id)).toEqual([b.nodeId]);
      expect(onB.map((p) => p.node_id)).toEqual([a.nodeId]);
      last = [onA[0]?.status, onB[0]?.status];
      if (last[0] !== "connected") flaps.push(`A saw B ${last[0]}`);
      if (last[1] !== "connected") flaps.push(`B saw A ${last[1]}`);
      await Bun.sleep(20);
    }
    if (flaps.length > 0) console.info(`brief flaps while the link was replaced: ${flaps.join(", ")}`);
    expect(last).toEqual(["connected", "connected"]);

    if (canSeeSockets) {
      let second: Socket | undefined;
      await within(
        3_000,
        "exactly one link socket, the new one, on both ends",
        async () => {
          second = oneLinkFromB(a, b);
          return second !== undefined;
        },
        [a, b],
      );
      expect(second?.localPort).not.toBe(first?.localPort);
    }
  }, 15_000);
});
