import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { NoticesResponse } from "../../../protocol/notices.ts";
import { pluginPeersResponse } from "../../../protocol/plugin.ts";
import { RateWindow } from "../../../server/plugins/rate-window.ts";
import { api, eventually, mintInvite, nodePool, pair, peerRow } from "../../helpers/peer-nodes.ts";
import { tempDir } from "../../helpers/temp-dir.ts";
import { pluginApp, writePlugin } from "./plugin-fixtures.ts";

const pool = nodePool();

/** A plugin asking for every permission, one asking for none, and one asking only to notify. */
const plugins = (dir: string) => {
  writePlugin(dir, "all", {
    name: "Everything",
    permissions: ["peers:read", "notify", "chat:send", "collab"],
  });
  writePlugin(dir, "none", { name: "Nothing" });
  writePlugin(dir, "bell", { name: "Bell", permissions: ["notify"] });
};

const SOME_PEER = "a".repeat(16);
const OTHER_PEER = "b".repeat(16);
const CALLS = [
  {
    method: "GET",
    path: "peers",
    body: undefined,
    words: "see your peers' names and whether they are online",
  },
  { method: "POST", path: "notices", body: { text: "hi" }, words: "put notices in your inbox" },
  {
    method: "POST",
    path: "chat",
    body: { peer_id: SOME_PEER, text: "hi" },
    words: "send a chat message to a peer you pick each time",
  },
] as const;
const PERMISSION = { peers: "peers:read", notices: "notify", chat: "chat:send" } as const;

describe("calls a plugin makes through the workspace", () => {
  test("each is a 403 naming what it may not do while its person has not allowed it", async () => {
    const { call } = await pluginApp(plugins);
    for (const c of CALLS) {
      const res = await call(c.method, `/api/plugins/all/${c.path}`, c.body);
      expect({ path: c.path, status: res.status, body: res.body }).toEqual({
        path: c.path,
        status: 403,
        body: { error: `Everything is not allowed to ${c.words}` },
      });
    }
  });

  test("each is a 403 when the pane.json does not ask for it, even with every grant it asks for", async () => {
    const { call } = await pluginApp(plugins);
    await call("PUT", "/api/plugins/bell/grants", { granted: ["notify"] });
    for (const c of CALLS) {
      const res = await call(c.method, `/api/plugins/none/${c.path}`, c.body);
      expect(res.body).toEqual({ error: `Nothing does not ask for ${PERMISSION[c.path]} in its pane.json` });
      expect(res.status).toBe(403);
    }
    expect((await call("GET", "/api/plugins/bell/peers")).body).toEqual({
      error: "Bell does not ask for peers:read in its pane.json",
    });
  });

  test("a plugin that could not be loaded is refused every call with the reason", async () => {
    const { call } = await pluginApp((dir) => writePlugin(dir, "old", { name: "Old", engine: ">=9" }));
    for (const c of CALLS) {
      const res = await call(c.method, `/api/plugins/old/${c.path}`, c.body);
      expect(res.status).toBe(403);
      expect(String(res.body.error)).toStartWith("Old could not be loaded: needs weft >=9");
    }
  });

  test("a turned-off plugin is refused every call, granted or not", async () => {
    const { call } = await pluginApp(plugins);
    await call("PUT", "/api/plugins/all/grants", { granted: ["peers:read", "notify", "chat:send"] });
    await call("PUT", "/api/plugins/all/enabled", { enabled: false });
    for (const c of CALLS) {
      const res = await call(c.method, `/api/plugins/all/${c.path}`, c.body);
      expect({ status: res.status, body: res.body }).toEqual({
        status: 403,
        body: { error: "Everything is turned off" },
      });
    }
  });

  test("peers, when allowed, are names and online or offline, and nothing else", async () => {
    const { call, ctx } = await pluginApp(plugins);
    await call("PUT", "/api/plugins/all/grants", { granted: ["peers:read"] });
    const empty = await call("GET", "/api/plugins/all/peers");
    expect(empty).toMatchObject({ status: 200, body: { peers: [] } });
    const key = Buffer.alloc(32, 7).toString("base64");
    ctx.fabric.peers.trust({ nodeId: SOME_PEER, publicKey: key, nodeName: "carol", via: "invite" });
    ctx.fabric.peers.trust({ nodeId: OTHER_PEER, publicKey: key, nodeName: "mallory", via: "invite" });
    ctx.fabric.peers.setBlocked(OTHER_PEER, true);
    const res = await call("GET", "/api/plugins/all/peers");
    // A blocked node is no peer to show; carol is known but not linked.
    expect(pluginPeersResponse.strict().parse(res.body)).toEqual({
      peers: [{ name: "carol", status: "offline" }],
    });
  });

  test("a notice, when allowed, is titled with the plugin's name and opens its pane", async () => {
    const { call, ctx } = await pluginApp(plugins);
    await call("PUT", "/api/plugins/bell/grants", { granted: ["notify"] });
    const res = await call("POST", "/api/plugins/bell/notices", { text: "  the kettle boiled " });
    expect(res).toMatchObject({ status: 200, body: { ok: true } });
    const [notice] = ctx.notices.list().notices;
    expect(notice).toMatchObject({
      kind: "plugin",
      peer: null,
      text: "Bell: the kettle boiled",
      action: { label: "Open", paneId: "bell" },
      read: false,
    });
    const blank = await call("POST", "/api/plugins/bell/notices", { text: "   " });
    expect(blank.status).toBe(400);
  });

  test("notices are limited to 6 a minute per plugin; the 7th is a 429 that says when to try again", async () => {
    const { call, ctx } = await pluginApp(plugins);
    await call("PUT", "/api/plugins/bell/grants", { granted: ["notify"] });
    await call("PUT", "/api/plugins/all/grants", { granted: ["notify"] });
    for (let i = 1; i <= 6; i++) {
      expect((await call("POST", "/api/plugins/bell/notices", { text: `n${i}` })).status).toBe(200);
    }
    const seventh = await call("POST", "/api/plugins/bell/notices", { text: "n7" });
    expect(seventh.status).toBe(429);
    expect(String(seventh.body.error)).toMatch(
      /^Bell may put at most 6 notices a minute in your inbox; try again in \d+ s$/,
    );
    expect(Number(seventh.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(ctx.notices.list().notices.map((n) => n.text)).not.toContain("Bell: n7");
    // Another plugin has a limit of its own.
    expect((await call("POST", "/api/plugins/all/notices", { text: "mine" })).status).toBe(200);
  });

  test("chat to a node that is no trusted peer, or a blocked one, is a 404 that says no more", async () => {
    const { call, ctx } = await pluginApp(plugins);
    await call("PUT", "/api/plugins/all/grants", { granted: ["chat:send"] });
    const res = await call("POST", "/api/plugins/all/chat", { peer_id: SOME_PEER, text: "hi" });
    expect(res).toMatchObject({ status: 404, body: { error: "no such peer" } });
    const key = Buffer.alloc(32, 7).toString("base64");
    ctx.fabric.peers.trust({ nodeId: OTHER_PEER, publicKey: key, nodeName: "mallory", via: "invite" });
    ctx.fabric.peers.setBlocked(OTHER_PEER, true);
    const blocked = await call("POST", "/api/plugins/all/chat", { peer_id: OTHER_PEER, text: "hi" });
    expect(blocked).toMatchObject({ status: 404, body: { error: "no such peer" } });
  });
});

describe("between two real linked nodes", () => {
  test("peers lists the linked peer by name, and a chat message sent for a plugin arrives", async () => {
    const dataDir = join(tempDir(), "data");
    plugins(join(dataDir, "plugins"));
    const alice = await pool.start({ name: "alice", dataDir });
    const bob = await pool.start({ name: "bob" });
    expect((await pair(alice, await mintInvite(bob))).body.ok).toBe(true);
    await eventually(() => peerRow(alice, bob.identity.nodeId)?.status === "connected", "the link");

    await api(alice, "PUT", "/api/plugins/all/grants", { granted: ["peers:read", "chat:send"] });
    const peers = await api(alice, "GET", "/api/plugins/all/peers");
    expect(pluginPeersResponse.strict().parse(peers.body)).toEqual({
      peers: [{ name: "bob", status: "online" }],
    });
    expect(JSON.stringify(peers.body)).not.toContain(bob.identity.nodeId);

    const sent = await api(alice, "POST", "/api/plugins/all/chat", {
      peer_id: bob.identity.nodeId,
      text: "from a pane",
    });
    expect(sent).toEqual({ status: 200, body: { ok: true } });
    await eventually(
      () => bob.chat.page(alice.identity.nodeId, 10).messages.some((m) => m.text === "from a pane"),
      "the message at bob",
    );
    expect(alice.chat.page(bob.identity.nodeId, 10).messages.map((m) => m.direction)).toEqual(["out"]);

    // Without the grant the same call is refused and nothing more is sent.
    await api(alice, "PUT", "/api/plugins/all/grants", { granted: [] });
    const refused = await api(alice, "POST", "/api/plugins/all/chat", {
      peer_id: bob.identity.nodeId,
      text: "2",
    });
    expect(refused.status).toBe(403);
    expect(alice.chat.page(bob.identity.nodeId, 10).messages).toHaveLength(1);
    const notices = (await api<NoticesResponse>(alice, "GET", "/api/notices")).body.notices;
    expect(notices.some((n) => n.kind === "plugin")).toBe(false);
  });
});

describe("the notice limit", () => {
  test("is a sliding minute: room comes back as the oldest notice of the last minute ages out", () => {
    let now = 0;
    const limit = new RateWindow(6, 60_000, () => now);
    for (let i = 0; i < 6; i++) {
      expect(limit.take("bell").ok).toBe(true);
      now += 1000;
    }
    expect(limit.take("bell")).toEqual({ ok: false, retryInMs: 54_000 });
    now = 60_000;
    expect(limit.take("bell").ok).toBe(true);
    expect(limit.take("bell").ok).toBe(false);
  });
});
