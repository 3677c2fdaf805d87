import { beforeAll, describe, expect, test } from "bun:test";
import {
  healthResponse,
  identityResponse,
  panesResponse,
  settingsSchemaResponse,
} from "../../../protocol/rest.ts";
import { createHttpApp } from "../../../server/http/app.ts";
import {
  fromLan,
  fromLoopback,
  localHeaders,
  realHttpContext,
  sameOriginHeaders,
  TEST_PORT,
} from "../../helpers/http-context.ts";

let ctx: Awaited<ReturnType<typeof realHttpContext>>;
let app: ReturnType<typeof createHttpApp>;
beforeAll(async () => {
  ctx = await realHttpContext();
  app = createHttpApp(ctx, { routes: ctx.routes, uiDir: "/nonexistent-ui" });
});

const get = (path: string, env = fromLoopback, headers: Record<string, string> = localHeaders) =>
  app.request(path, { headers }, env);
const put = (body: unknown, headers: Record<string, string> = sameOriginHeaders) =>
  app.request("/api/settings", { method: "PUT", headers, body: JSON.stringify(body) }, fromLoopback);

describe("local surface", () => {
  test("another machine gets 403 on the UI, /api and /ws, but reaches /api/health and /peer-ws", async () => {
    for (const path of ["/", "/api/settings", "/api/network/identity", "/api/panes", "/ws"]) {
      const res = await get(path, fromLan, { host: `192.168.1.2:${TEST_PORT}` });
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({ error: "only this machine may use this weft's UI and API" });
    }
    expect((await get("/api/health", fromLan, { host: `192.168.1.2:${TEST_PORT}` })).status).toBe(200);
    expect((await get("/peer-ws", fromLan, { host: `192.168.1.2:${TEST_PORT}` })).status).not.toBe(403);
  });

  test("a foreign Host is refused even from loopback", async () => {
    const res = await get("/api/settings", fromLoopback, { host: "attacker.example" });
    expect(res.status).toBe(403);
  });

  test("a cross-origin or origin-less settings change is refused and changes nothing", async () => {
    const cross = await put(
      { "network.trustMode": "open-lan" },
      { ...sameOriginHeaders, origin: "http://evil.example" },
    );
    expect(cross.status).toBe(403);
    const { origin: _, ...noOrigin } = sameOriginHeaders;
    expect((await put({ "network.trustMode": "open-lan" }, noOrigin)).status).toBe(403);
    expect(await (await get("/api/settings")).json()).toMatchObject({ "network.trustMode": "manual" });
  });
});

describe("REST", () => {
  test("health reports ok, version, node id and uptime", async () => {
    const body = healthResponse.parse(await (await get("/api/health")).json());
    expect(body.node_id).toBe(ctx.identity.nodeId);
    expect(body.uptime_s).toBeGreaterThanOrEqual(0);
  });

  test("identity shows the public key and addresses, never the private key", async () => {
    const res = await get("/api/network/identity");
    const text = await res.text();
    const body = identityResponse.parse(JSON.parse(text));
    expect(body).toMatchObject({
      node_id: ctx.identity.nodeId,
      public_key: ctx.identity.publicKeyBase64,
      node_name: "test-node",
    });
    expect(body.addresses[0]).toContain("/peer-ws");
    expect(text).not.toContain("PRIVATE");
  });

  test("settings are listed with defaults and described for the UI", async () => {
    expect(await (await get("/api/settings")).json()).toMatchObject({ "network.trustMode": "manual" });
    const schema = settingsSchemaResponse.parse(await (await get("/api/settings/schema")).json());
    const trust = schema.settings.find((s) => s.key === "network.trustMode");
    expect(trust?.description).toContain("manual");
    expect(trust?.schema).toMatchObject({ enum: ["manual", "directory", "open-lan"] });
  });

  test("a valid settings patch is written and returned", async () => {
    const res = await put({ "network.enableDirect": false, "network.maxJsonDepth": 64 });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ "network.enableDirect": false, "network.maxJsonDepth": 64 });
    expect(await (await get("/api/settings")).json()).toMatchObject({ "network.maxJsonDepth": 64 });
  });

  test("a bad value is 400 naming the key, and nothing of the patch is written", async () => {
    const res = await put({ "network.nodeName": "renamed", "network.rateLimitPerSec": "fast" });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; field: string };
    expect(body.field).toBe("network.rateLimitPerSec");
    expect(body.error).toContain("network.rateLimitPerSec");
    expect(await (await get("/api/settings")).json()).toMatchObject({ "network.nodeName": "" });
  });

  test("DELETE of a setting restores its default; an unknown key is 404; both need our Origin", async () => {
    await put({ "network.maxFrameBytes": 8192 });
    const del = (key: string, headers: Record<string, string> = sameOriginHeaders) =>
      app.request(`/api/settings/${key}`, { method: "DELETE", headers }, fromLoopback);
    expect((await del("network.maxFrameBytes", localHeaders)).status).toBe(403);
    const res = await del("network.maxFrameBytes");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ "network.maxFrameBytes": 1024 * 1024 });
    const unknown = await del("network.nope");
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: "unknown setting network.nope", field: "network.nope" });
  });

  test("an unknown key, a non-object and broken JSON are each 400", async () => {
    const unknown = await put({ "network.teleport": true });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ field: "network.teleport" });
    expect((await put([1, 2])).status).toBe(400);
    const broken = await app.request(
      "/api/settings",
      { method: "PUT", headers: sameOriginHeaders, body: "{" },
      fromLoopback,
    );
    expect(broken.status).toBe(400);
  });

  test("panes lists the built-in panes with their manifests", async () => {
    const body = panesResponse.parse(await (await get("/api/panes")).json());
    expect(body.panes.map((p) => p.id)).toEqual(expect.arrayContaining(["settings", "about"]));
    expect(body.panes.every((p) => p.source === "builtin")).toBe(true);
  });

  test("an unknown /api path is a JSON 404", async () => {
    const res = await get("/api/nope");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "no such endpoint: GET /api/nope" });
  });

  test("without a built UI the page says how to build it", async () => {
    const res = await get("/");
    expect(res.status).toBe(503);
    expect(await res.text()).toContain("build:ui");
  });
});
