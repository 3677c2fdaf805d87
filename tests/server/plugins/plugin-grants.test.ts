import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { AuditEntry } from "../../../protocol/network.ts";
import { type PluginRow, pluginRow, pluginsResponse } from "../../../protocol/plugin.ts";
import { panesResponse } from "../../../protocol/rest.ts";
import { api } from "../../helpers/peer-nodes.ts";
import { tempDir } from "../../helpers/temp-dir.ts";
import { startTestNode } from "../../helpers/test-node.ts";
import { pluginApp, writePlugin } from "./plugin-fixtures.ts";

const asker = (dir: string) =>
  writePlugin(dir, "asker", { name: "Asker", icon: "?", permissions: ["notify", "peers:read"] });

describe("listing plugins", () => {
  test("every installed plugin is listed, refused ones with their reason and asking for nothing", async () => {
    const { call } = await pluginApp((dir) => {
      asker(dir);
      writePlugin(dir, "quiet");
      writePlugin(dir, "broken", { permissions: ["bogus"] });
    });
    const res = await call("GET", "/api/plugins");
    expect(res.status).toBe(200);
    const rows = pluginsResponse.parse(res.body).plugins;
    expect(rows.map((r) => r.id)).toEqual(["asker", "broken", "quiet"]);
    const noBlocks = { count: 0, recent: [] };
    expect(rows[0]).toEqual({
      id: "asker",
      name: "Asker",
      version: "1.0.0",
      icon: "?",
      permissions: ["notify", "peers:read"],
      granted: [],
      decided: false,
      enabled: true,
      blocked: noBlocks,
    });
    expect(rows[1]).toMatchObject({ permissions: [], granted: [], decided: true, enabled: true });
    expect(rows[1]?.error).toContain('"bogus" is not one of');
    // Asking for nothing, there is nothing to decide.
    expect(rows[2]).toMatchObject({ permissions: [], decided: true, enabled: true });
    expect(rows[2]?.error).toBeUndefined();
  });

  test("one plugin by id, and an unknown id is a 404 naming it", async () => {
    const { call } = await pluginApp(asker);
    expect(pluginRow.parse((await call("GET", "/api/plugins/asker")).body).name).toBe("Asker");
    const missing = await call("GET", "/api/plugins/ghost");
    expect(missing).toMatchObject({ status: 404, body: { error: 'no plugin called "ghost"' } });
  });
});

describe("what the person allows", () => {
  test("a grant is stored, answers every permission asked, and is audited", async () => {
    const { call, ctx } = await pluginApp(asker);
    const res = await call<PluginRow>("PUT", "/api/plugins/asker/grants", { granted: ["notify"] });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      granted: ["notify"],
      decided: true,
      permissions: ["notify", "peers:read"],
    });
    expect((await call<PluginRow>("GET", "/api/plugins/asker")).body.granted).toEqual(["notify"]);
    const entry = ctx.fabric.audit.recent(10, "trust").find((e: AuditEntry) => e.event === "plugin_grants");
    expect(entry).toMatchObject({ node_id: null, detail: { plugin: "asker", granted: ["notify"] } });
    // Refusing everything is an answer too.
    const none = await call<PluginRow>("PUT", "/api/plugins/asker/grants", { granted: [] });
    expect(none.body).toMatchObject({ granted: [], decided: true });
  });

  test("a permission the plugin does not ask for is a 400 naming it, and nothing changes", async () => {
    const { call, ctx } = await pluginApp(asker);
    await call("PUT", "/api/plugins/asker/grants", { granted: ["notify"] });
    const res = await call("PUT", "/api/plugins/asker/grants", { granted: ["peers:read", "chat:send"] });
    expect(res).toMatchObject({
      status: 400,
      body: { error: '"chat:send" is not something Asker asks for', field: "granted" },
    });
    expect((await call<PluginRow>("GET", "/api/plugins/asker")).body.granted).toEqual(["notify"]);
    expect(ctx.fabric.audit.recent(10, "trust").filter((e) => e.event === "plugin_grants")).toHaveLength(1);
  });

  test("bodies are parsed with the protocol's schemas: an unknown permission or field is a 400", async () => {
    const { call } = await pluginApp(asker);
    const unknown = await call("PUT", "/api/plugins/asker/grants", { granted: ["root"] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.field).toBe("granted.0");
    const extra = await call("PUT", "/api/plugins/asker/enabled", { enabled: false, why: "x" });
    expect(extra.status).toBe(400);
    expect((await call("PUT", "/api/plugins/ghost/grants", { granted: [] })).status).toBe(404);
  });

  test("turning a plugin off and on is stored and audited", async () => {
    const { call, ctx } = await pluginApp(asker);
    const off = await call<PluginRow>("PUT", "/api/plugins/asker/enabled", { enabled: false });
    expect(off).toMatchObject({ status: 200, body: { enabled: false } });
    expect((await call<PluginRow>("PUT", "/api/plugins/asker/enabled", { enabled: true })).body.enabled).toBe(
      true,
    );
    const events = ctx.fabric.audit.recent(10, "trust").filter((e) => e.event === "plugin_enabled");
    expect(events.map((e) => e.detail)).toEqual([
      { plugin: "asker", enabled: true },
      { plugin: "asker", enabled: false },
    ]);
  });
});

describe("grants across restarts and new versions", () => {
  test("grants and a turned-off plugin survive a restart on the same data dir", async () => {
    const dataDir = join(tempDir(), "data");
    asker(join(dataDir, "plugins"));
    const first = await startTestNode({ dataDir });
    try {
      await api(first, "PUT", "/api/plugins/asker/grants", { granted: ["peers:read"] });
      await api(first, "PUT", "/api/plugins/asker/enabled", { enabled: false });
    } finally {
      await first.stop();
    }
    const again = await startTestNode({ dataDir });
    try {
      const row = (await api<PluginRow>(again, "GET", "/api/plugins/asker")).body;
      expect(row).toMatchObject({ granted: ["peers:read"], decided: true, enabled: false });
      // Off from the first request on: listed with the reason, neither its frame nor its files served.
      const panes = panesResponse.parse((await api(again, "GET", "/api/panes")).body).panes;
      expect(panes.find((p) => p.id === "asker")?.error).toBe("turned off in Settings");
      expect((await fetch(`http://localhost:${again.port}/plugin-frame/asker`)).status).toBe(404);
      expect((await fetch(`http://localhost:${again.port}/plugins/asker/index.js`)).status).toBe(404);
    } finally {
      await again.stop();
    }
  });

  test("a plugin that later asks for more is undecided about the new one only, and keeps what it had", async () => {
    const dataDir = join(tempDir(), "data");
    const plugins = join(dataDir, "plugins");
    writePlugin(plugins, "grows", { permissions: ["notify"] });
    const first = await startTestNode({ dataDir });
    try {
      await api(first, "PUT", "/api/plugins/grows/grants", { granted: ["notify"] });
    } finally {
      await first.stop();
    }
    writePlugin(plugins, "grows", { version: "1.1.0", permissions: ["notify", "chat:send"] });
    const second = await startTestNode({ dataDir });
    try {
      const row = (await api<PluginRow>(second, "GET", "/api/plugins/grows")).body;
      expect(row).toMatchObject({ version: "1.1.0", granted: ["notify"], decided: false });
      // Answering again decides it.
      const answered = await api<PluginRow>(second, "PUT", "/api/plugins/grows/grants", {
        granted: ["notify"],
      });
      expect(answered.body).toMatchObject({ granted: ["notify"], decided: true });
    } finally {
      await second.stop();
    }
  });

  test("a plugin that asks for less loses the rest: asking for it again asks the person again", async () => {
    const dataDir = join(tempDir(), "data");
    const plugins = join(dataDir, "plugins");
    const runWith = async (permissions: string[], check: (row: PluginRow) => void, grant?: string[]) => {
      writePlugin(plugins, "shrinks", { permissions });
      const node = await startTestNode({ dataDir });
      try {
        if (grant) await api(node, "PUT", "/api/plugins/shrinks/grants", { granted: grant });
        check((await api<PluginRow>(node, "GET", "/api/plugins/shrinks")).body);
      } finally {
        await node.stop();
      }
    };
    await runWith(["notify", "peers:read"], (row) => expect(row.granted).toEqual(["notify", "peers:read"]), [
      "notify",
      "peers:read",
    ]);
    await runWith(["notify"], (row) => expect(row).toMatchObject({ granted: ["notify"], decided: true }));
    await runWith(["notify", "peers:read"], (row) =>
      expect(row).toMatchObject({ granted: ["notify"], decided: false }),
    );
  });
});
