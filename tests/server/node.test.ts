import { afterEach, describe, expect, test } from "bun:test";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { StartupError } from "../../server/errors.ts";
import type { RunningNode } from "../../server/node.ts";
import { tempDir } from "../helpers/temp-dir.ts";
import { sameOrigin, startTestNode } from "../helpers/test-node.ts";
import { openTab } from "../helpers/ws-client.ts";

const running: RunningNode[] = [];
async function node(overrides: Parameters<typeof startTestNode>[0] = {}) {
  const n = await startTestNode(overrides);
  running.push(n);
  return n;
}
afterEach(async () => {
  for (const n of running.splice(0)) await n.stop();
});

describe("a running node", () => {
  test("greets a tab on /ws with its identity", async () => {
    const n = await node();
    const tab = await openTab(n.port);
    const welcome = await tab.next((f) => f.event === "welcome");
    expect(welcome).toMatchObject({
      channel: "system",
      data: { node_id: n.identity.nodeId, protocol_version: 1 },
    });
    tab.close();
  });

  test("answers bad frames with an error and keeps the socket open", async () => {
    const n = await node();
    const tab = await openTab(n.port);
    tab.sendRaw("not json");
    tab.send({ channel: "nope", event: "x", data: {} });
    tab.send({ channel: "system", event: "launch", data: {} });
    tab.send({ channel: "system", event: "hello", data: { extra: 1 } });
    const errors = () =>
      tab.frames.filter((f) => f.event === "error").map((f) => (f.data as { message: string }).message);
    await tab.next(() => errors().length === 4);
    expect(errors()[0]).toBe("frame is not JSON");
    expect(errors()[1]).toBe('unknown channel "nope"');
    expect(errors()[2]).toContain('bad "launch" frame');
    expect(errors()[3]).toContain('bad "hello" frame');
    tab.send({ channel: "system", event: "hello", data: {} });
    await tab.next((f, i = tab.frames.indexOf(f)) => f.event === "welcome" && i > 0);
    expect(tab.socket.readyState).toBe(WebSocket.OPEN);
    tab.close();
  });

  test("refuses a /ws upgrade from a foreign origin", async () => {
    const n = await node();
    await expect(openTab(n.port, "http://evil.example")).rejects.toThrow("refused");
  });

  test("tells every tab when a setting changes", async () => {
    const n = await node();
    const [a, b] = [await openTab(n.port), await openTab(n.port)];
    const res = await fetch(`http://localhost:${n.port}/api/settings`, {
      method: "PUT",
      headers: sameOrigin(n),
      body: JSON.stringify({ "network.nodeName": "studio" }),
    });
    expect(res.status).toBe(200);
    for (const tab of [a, b]) {
      const f = await tab.next((x) => x.event === "settings_changed");
      expect(f.data).toEqual({ values: { "network.nodeName": "studio" } });
      tab.close();
    }
  });

  const lan = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && !i.internal && i.family === "IPv4")?.address;
  test.if(lan !== undefined)(
    "refuses the API to a client that is not on loopback, over a real socket",
    async () => {
      const n = await node({ host: "0.0.0.0" });
      const base = `http://${lan}:${n.port}`;
      expect((await fetch(`${base}/api/settings`)).status).toBe(403);
      expect((await fetch(`${base}/`)).status).toBe(403);
      expect((await fetch(`${base}/api/health`)).status).toBe(200);
    },
  );

  test("falls through to the next free port when the default is taken", async () => {
    const blocker = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("busy") });
    try {
      const n = await node({ port: blocker.port, portExplicit: false });
      expect(n.port).toBe(blocker.port! + 1);
    } finally {
      blocker.stop(true);
    }
  });

  test("refuses a port the user chose when it is taken", async () => {
    const blocker = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("busy") });
    try {
      await expect(startTestNode({ port: blocker.port, portExplicit: true })).rejects.toThrow(
        `port ${blocker.port} is in use`,
      );
    } finally {
      blocker.stop(true);
    }
  });

  test("refuses a second node on the same data dir and keeps the first running", async () => {
    const dataDir = join(tempDir(), "data");
    const first = await node({ dataDir });
    const second = startTestNode({ dataDir });
    await expect(second).rejects.toBeInstanceOf(StartupError);
    expect((await fetch(`http://localhost:${first.port}/api/health`)).status).toBe(200);
  });

  test("keeps its identity and settings across a restart", async () => {
    const dataDir = join(tempDir(), "data");
    const first = await startTestNode({ dataDir });
    first.settings.update({ "network.trustMode": "open-lan" });
    const id = first.identity.nodeId;
    await first.stop();
    const second = await node({ dataDir });
    expect(second.identity.nodeId).toBe(id);
    const values = await (await fetch(`http://localhost:${second.port}/api/settings`)).json();
    expect(values).toMatchObject({ "network.trustMode": "open-lan" });
  });
});
