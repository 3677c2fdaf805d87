import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { panesResponse } from "../../../protocol/rest.ts";
import { SECURITY_HEADERS } from "../../../server/http/ui-routes.ts";
import { fromLan, fromLoopback, TEST_PORT } from "../../helpers/http-context.ts";
import { BUNDLE, pluginApp, writePlugin } from "./plugin-fixtures.ts";

const HOST = `localhost:${TEST_PORT}`;
const HOSTILE_NAME = `</title><script>alert("x")</script>&'`;
const HOSTILE_ENTRY = 'my "entry" #1.js';

/** The frame's policy spelled out by hand for `id` at `host`, so a change to it shows here. */
function expectedPolicy(host: string, id: string): string {
  const own = `http://${host}/plugins/${id}/`;
  return (
    `sandbox allow-scripts; default-src 'none'; script-src http://${host}/plugin-frame.js ${own}; ` +
    `style-src 'unsafe-inline' ${own}; img-src data: blob: ${own}; font-src ${own}; media-src 'none'; ` +
    "connect-src 'none'; frame-src 'none'; child-src 'none'; worker-src 'none'; manifest-src 'none'; " +
    "object-src 'none'; form-action 'none'; base-uri 'none'; " +
    `frame-ancestors http://${host}; report-uri /plugin-frame/${id}/csp-report`
  );
}

const setup = (dir: string) => {
  writePlugin(dir, "good", { name: "Good pane" }, { "page.html": "<p>hi</p>", "style.css": "p {}" });
  writePlugin(dir, "hostile", { name: HOSTILE_NAME, entry: HOSTILE_ENTRY }, { [HOSTILE_ENTRY]: BUNDLE });
  writePlugin(dir, "broken", { engine: ">=9" });
};

async function frameApp() {
  const parts = await pluginApp(setup);
  const get = (path: string, host = HOST, env = fromLoopback) =>
    parts.app.request(path, { headers: { host } }, env);
  return { ...parts, get };
}

describe("the frame page", () => {
  test("a usable plugin's page loads the frame script with its entry, under the sandbox policy", async () => {
    const { get } = await frameApp();
    const res = await get("/plugin-frame/good");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(res.headers.get("content-security-policy")).toBe(expectedPolicy(HOST, "good"));
    expect(await res.text()).toBe(
      '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Good pane</title>\n' +
        `<script src="/plugin-frame.js" data-entry="http://${HOST}/plugins/good/index.js"></script></head>\n` +
        '<body><div id="weft-plugin-root"></div></body></html>',
    );
  });

  test("the policy names the host the request came to, whichever loopback name it is", async () => {
    const { get } = await frameApp();
    for (const host of [`127.0.0.1:${TEST_PORT}`, `LOCALHOST:${TEST_PORT}`]) {
      const res = await get("/plugin-frame/good", host);
      expect(res.headers.get("content-security-policy")).toBe(expectedPolicy(host.toLowerCase(), "good"));
    }
  });

  test("a hostile name and entry are escaped: nothing of them becomes markup", async () => {
    const { get } = await frameApp();
    const html = await (await get("/plugin-frame/hostile")).text();
    expect(html).toContain(
      "<title>&#60;/title&#62;&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;&#38;&#39;</title>",
    );
    expect(html).toContain(`data-entry="http://${HOST}/plugins/hostile/my%20%22entry%22%20%231.js"`);
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).not.toContain('alert("x")');
  });

  test("unknown, refused and turned-off plugins, and any other path under it, are a plain 404", async () => {
    const { get, call } = await frameApp();
    await call("PUT", "/api/plugins/good/enabled", { enabled: false });
    for (const path of [
      "/plugin-frame/ghost",
      "/plugin-frame/broken",
      "/plugin-frame/good",
      "/plugin-frame/about",
      "/plugin-frame/hostile/index.js",
      "/plugin-frame/",
      "/plugin-frame",
    ]) {
      const res = await get(path);
      expect({ path, status: res.status, text: await res.text() }).toEqual({
        path,
        status: 404,
        text: "not found",
      });
      expect(res.headers.get("content-type")).toStartWith("text/plain");
    }
  });

  test("the frame script beside it is the UI's own file, not a frame route", async () => {
    const { get, uiDir } = await frameApp();
    writeFileSync(join(uiDir, "plugin-frame.js"), "/* frame */");
    const res = await get("/plugin-frame.js");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("/* frame */");
  });

  test("the page sits behind the local guard like the UI", async () => {
    const { get } = await frameApp();
    expect((await get("/plugin-frame/good", `192.168.1.2:${TEST_PORT}`, fromLan)).status).toBe(403);
    expect((await get("/plugin-frame/good", "evil.example")).status).toBe(403);
  });
});

describe("plugin files", () => {
  test("carry access-control-allow-origin * and the plugin's sandbox policy, not the workspace's", async () => {
    const { get } = await frameApp();
    for (const file of ["index.js", "page.html", "style.css"]) {
      const res = await get(`/plugins/good/${file}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
      expect(res.headers.get("content-security-policy")).toBe(expectedPolicy(HOST, "good"));
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    }
  });

  test("a turned-off plugin's files are 404, it is listed with the reason, and turning it on serves it again", async () => {
    const { get, call } = await frameApp();
    await call("PUT", "/api/plugins/good/enabled", { enabled: false });
    expect((await get("/plugins/good/index.js")).status).toBe(404);
    const panes = panesResponse.parse((await call("GET", "/api/panes")).body).panes;
    const listed = panes.find((p) => p.id === "good");
    expect(listed).toMatchObject({ source: "plugin", error: "turned off in Settings" });
    expect(listed?.entry).toBeUndefined();
    expect(panes.find((p) => p.id === "hostile")?.error).toBeUndefined();

    await call("PUT", "/api/plugins/good/enabled", { enabled: true });
    expect((await get("/plugins/good/index.js")).status).toBe(200);
    expect((await get("/plugin-frame/good")).status).toBe(200);
    const again = panesResponse.parse((await call("GET", "/api/panes")).body).panes;
    expect(again.find((p) => p.id === "good")).toMatchObject({ entry: "index.js" });
  });
});

describe("the workspace's policy", () => {
  test("the UI keeps its policy and allows frames only from this host's /plugin-frame/", async () => {
    const { get } = await frameApp();
    for (const path of ["/", "/app-0123abcd.js", "/deep/link"]) {
      const res = await get(path, `127.0.0.1:${TEST_PORT}`);
      expect(res.headers.get("content-security-policy")).toBe(
        `${SECURITY_HEADERS["content-security-policy"]}; frame-src http://127.0.0.1:${TEST_PORT}/plugin-frame/`,
      );
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    }
    expect(SECURITY_HEADERS["content-security-policy"]).toContain("frame-ancestors 'none'");
    const plain = await get("/", HOST);
    expect(plain.headers.get("content-security-policy")).toEndWith(
      `; frame-src http://${HOST}/plugin-frame/`,
    );
  });
});
