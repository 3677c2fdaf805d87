import { beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { apiError } from "../../../protocol/rest.ts";
import { createHttpApp } from "../../../server/http/app.ts";
import { maxBodyBytes } from "../../../server/settings/http-settings.ts";
import { fromLoopback, realHttpContext, sameOriginHeaders } from "../../helpers/http-context.ts";
import { tempDir } from "../../helpers/temp-dir.ts";

let ctx: Awaited<ReturnType<typeof realHttpContext>>;
let app: ReturnType<typeof createHttpApp>;
beforeAll(async () => {
  ctx = await realHttpContext();
  const uiDir = tempDir();
  writeFileSync(join(uiDir, "index.html"), "<!doctype html><div id=app></div>");
  app = createHttpApp(ctx, { routes: ctx.routes, uiDir });
});

const LIMIT = maxBodyBytes.default;
const SAMPLE_NODE_ID = "a".repeat(16);

/** Every route of the app as a concrete path, middleware left out; `ALL` routes tried with POST. */
function everyRoute(): Array<{ method: string; path: string }> {
  const seen = new Set<string>();
  const out: Array<{ method: string; path: string }> = [];
  for (const route of app.routes) {
    if (route.path === "/*" && route.method === "ALL") continue;
    const method = route.method === "ALL" ? "POST" : route.method;
    const path = route.path
      .replace(":node_id", SAMPLE_NODE_ID)
      .replace(":key", "network.nodeName")
      .replace("*", "anything");
    const key = `${method} ${path}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ method, path });
  }
  return out;
}

const send = (method: string, path: string, body: string | undefined, headers: Record<string, string>) =>
  app.request(path, { method, headers, body }, fromLoopback);

const withType = (type: string) => ({ ...sameOriginHeaders, "content-type": type });

/** The routes that take a JSON object body. */
const JSON_ROUTES = [
  { method: "POST", path: "/api/network/invite" },
  { method: "POST", path: "/api/network/pair" },
  { method: "POST", path: "/api/network/connect" },
  { method: "PUT", path: "/api/settings" },
];

describe("request bodies", () => {
  test("the route table is walked in full, JSON routes included", () => {
    const routes = everyRoute().map((r) => `${r.method} ${r.path}`);
    expect(routes.length).toBeGreaterThan(20);
    for (const r of JSON_ROUTES) expect(routes).toContain(`${r.method} ${r.path}`);
  });

  test("no route answers 5xx to malformed JSON, a wrong type, an oversize, empty, array or null body", async () => {
    const cases: Array<{ name: string; body: string | undefined; type: string; expected?: number }> = [
      { name: "malformed JSON", body: '{"invite": "weft1.', type: "application/json", expected: 400 },
      { name: "text/plain", body: '{"invite":"weft1.x"}', type: "text/plain", expected: 415 },
      { name: "form", body: "invite=weft1.x", type: "application/x-www-form-urlencoded", expected: 415 },
      { name: "oversize", body: `{"pad":"${"x".repeat(LIMIT)}"}`, type: "application/json", expected: 413 },
      { name: "empty", body: "", type: "application/json" },
      { name: "no body", body: undefined, type: "application/json" },
      { name: "array", body: "[]", type: "application/json" },
      { name: "null", body: "null", type: "application/json" },
    ];
    const failures: string[] = [];
    for (const { method, path } of everyRoute()) {
      if (method === "GET") {
        const res = await send(method, path, undefined, sameOriginHeaders);
        if (res.status >= 500) failures.push(`${method} ${path}: ${res.status}`);
        continue;
      }
      for (const c of cases) {
        const res = await send(method, path, c.body, withType(c.type));
        const text = await res.text();
        if (res.status >= 500 || (c.expected !== undefined && res.status !== c.expected)) {
          failures.push(`${method} ${path} ${c.name}: ${res.status} ${text.slice(0, 120)}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  test("malformed JSON is a 400 that says the body is not JSON and why", async () => {
    for (const { method, path } of JSON_ROUTES) {
      const res = await send(method, path, '{"address": ', withType("application/json"));
      expect(res.status).toBe(400);
      const body = apiError.parse(await res.json());
      expect(body.error).toStartWith("body is not valid JSON: ");
      expect(body.error.length).toBeGreaterThan("body is not valid JSON: ".length);
    }
  });

  test("a JSON route answers an array or null body with 400 naming what it got", async () => {
    for (const { method, path } of JSON_ROUTES) {
      for (const body of ["[]", "null", "7", '"text"']) {
        const res = await send(method, path, body, withType("application/json"));
        expect(res.status).toBe(400);
        expect(apiError.parse(await res.json()).error).toContain("object");
      }
    }
  });

  test("a body that is not application/json is 415 and changes nothing", async () => {
    const res = await send(
      "PUT",
      "/api/settings",
      JSON.stringify({ "network.nodeName": "sneaky" }),
      withType("text/plain;charset=UTF-8"),
    );
    expect(res.status).toBe(415);
    expect(apiError.parse(await res.json()).error).toContain("application/json");
    expect(ctx.settings.values()["network.nodeName"]).toBe("");
  });

  test("application/json with a charset is accepted", async () => {
    const res = await send("POST", "/api/network/invite", "{}", withType("application/json; charset=utf-8"));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { invite: string }).invite).toStartWith("weft1.");
  });

  test("a body over the limit is 413 naming the limit; one at the limit is read", async () => {
    const padded = (n: number) => `{"address":"${"x".repeat(n - '{"address":""}'.length)}"}`;
    const over = await send("POST", "/api/network/connect", padded(LIMIT + 1), withType("application/json"));
    expect(over.status).toBe(413);
    expect(apiError.parse(await over.json()).error).toContain(String(LIMIT));
    const at = await send("POST", "/api/network/connect", padded(LIMIT), withType("application/json"));
    // Read and judged by the schema: the address is far longer than any address may be.
    expect(at.status).toBe(400);
    expect(apiError.parse(await at.json()).field).toBe("address");
  });

  test("a declared Content-Length over the limit is refused before the body is read", async () => {
    let pulled = 0;
    const chunk = new Uint8Array(64 * 1024).fill(0x20);
    // Endless: read at all, it would be pulled up to the limit before the guard gave up.
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const req = new Request("http://localhost/api/network/invite", {
      method: "POST",
      headers: { ...withType("application/json"), "content-length": String(LIMIT * 10) },
      body,
    });
    const res = await app.request(req, undefined, fromLoopback);
    expect(res.status).toBe(413);
    expect(pulled).toBeLessThanOrEqual(chunk.byteLength);
  });

  test("a malformed Host is 400 before the local guard looks at it", async () => {
    for (const host of ["x@y", "a, b", "ex%41mple", "localhost:99999", "[::1", ""]) {
      const res = await send("GET", "/api/settings", undefined, { host });
      expect(res.status).toBe(400);
      expect(apiError.parse(await res.json()).error).toBe("malformed Host header");
    }
  });
});
