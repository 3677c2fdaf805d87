import { afterEach } from "bun:test";
import type { PeerRow } from "../../protocol/network.ts";
import type { RunningNode } from "../../server/node.ts";
import { sameOrigin, startTestNode } from "./test-node.ts";

/** Live nodes started by a test file, stopped after each test. */
export function nodePool() {
  const running: RunningNode[] = [];
  afterEach(async () => {
    for (const n of running.splice(0)) await n.stop();
  });
  return {
    async start(overrides: Parameters<typeof startTestNode>[0] = {}): Promise<RunningNode> {
      const n = await startTestNode({ pingIntervalMs: 200, ...overrides });
      running.push(n);
      return n;
    },
    /** Stops a node early (e.g. to test what its peers see). */
    async stop(n: RunningNode): Promise<void> {
      running.splice(running.indexOf(n), 1);
      await n.stop();
    },
  };
}

export async function api<T = unknown>(
  node: RunningNode,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`http://localhost:${node.port}${path}`, {
    method,
    headers: sameOrigin(node),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

export async function mintInvite(node: RunningNode, ttl_s?: number): Promise<string> {
  const res = await api<{ invite: string }>(node, "POST", "/api/network/invite", ttl_s ? { ttl_s } : {});
  return res.body.invite;
}

export async function pair(from: RunningNode, invite: string) {
  return api<{ ok: boolean; peer?: PeerRow; error?: string }>(from, "POST", "/api/network/pair", { invite });
}

export function peerRow(node: RunningNode, id: string): PeerRow | undefined {
  return node.fabric.hub.row(id);
}

/** Polls until `check` holds, or fails with `what` after `ms`. */
export async function eventually(check: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}
