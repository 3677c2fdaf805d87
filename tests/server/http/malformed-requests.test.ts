import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Hono } from "hono";
import { apiError } from "../../../protocol/rest.ts";
import { createHttpApp } from "../../../server/http/app.ts";
import type { HttpEnv } from "../../../server/http/context.ts";
import { listen } from "../../../server/http/listener.ts";
import { createLogger } from "../../../server/log.ts";
import type { RunningNode } from "../../../server/node.ts";
import { fromLoopback, localHeaders, realHttpContext } from "../../helpers/http-context.ts";
import { leakedDetails, type RawResponse, rawHttp, rawRequestText } from "../../helpers/raw-http.ts";
import { startTestNode, tempUiDir } from "../../helpers/test-node.ts";

let node: RunningNode;
beforeAll(async () => {
  // A UI of its own: in CI the unit tests run before dist/ui is built.
  node = await startTestNode({ uiDir: tempUiDir() });
});
afterAll(async () => {
  await node.stop();
});

const local = () => `localhost:${node.port}`;
const get = (path: string, host = local()) => rawHttp(node.port, rawRequestText("GET", path, host));

/** What a development error page would give away. */
function expectNothingLeaked(res: RawResponse) {
  expect(leakedDetails(res, [process.cwd(), node.dataDir])).toEqual([]);
}

describe("malformed requests over a real socket", () => {
  test("a Host with userinfo, a list, an escape or a bad port is a short 400, on any path", async () => {
    for (const host of ["x@y", "a, b", `localhost:${"9".repeat(6)}`, "ex%41mple", "[::1", "a b"]) {
      for (const path of ["/", "/api/health", "/api/settings", "/peer-ws"]) {
        const res = await get(path, host);
        expect(`${host} ${path} ${res.status}`).toBe(`${host} ${path} 400`);
        expect(apiError.parse(JSON.parse(res.body)).error).toBe("malformed Host header");
        expectNothingLeaked(res);
      }
    }
  });

  test("bad percent-encoding in a UI path is a 400, not a 500", async () => {
    for (const path of ["/%", "/%zz", "/assets/%ff", "/%E0%A4%A"]) {
      const res = await get(path);
      expect(`${path} ${res.status}`).toBe(`${path} 400`);
      expect(apiError.parse(JSON.parse(res.body)).error).toContain("percent-encoding");
      expectNothingLeaked(res);
    }
  });

  test("bad percent-encoding elsewhere never reaches a 5xx", async () => {
    for (const path of [
      "/plugins/%ff/x",
      "/api/chat/%zz/messages",
      "/api/%",
      "/api/network/audit?limit=%zz",
    ]) {
      const res = await get(path);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expectNothingLeaked(res);
    }
  });

  test("the node still serves its UI and health after all of them", async () => {
    expect((await get("/api/health")).status).toBe(200);
    const page = await get("/");
    expect(page.status).toBe(200);
    expect(page.body).toContain("<title>weft</title>");
  });
});

describe("bodies over the limit, over a real socket", () => {
  const post = (extra: string[]) =>
    rawRequestText("POST", "/api/network/invite", local(), [
      `Origin: http://localhost:${node.port}`,
      "Content-Type: application/json",
      ...extra,
    ]);

  test("a declared 10 MB body is 413 after only its first bytes were sent", async () => {
    const res = await rawHttp(node.port, post([`Content-Length: ${10 * 1024 * 1024}`]), ["{".repeat(1024)]);
    expect(res.status).toBe(413);
    expect(apiError.parse(JSON.parse(res.body)).error).toContain("http.maxBodyBytes");
  });

  test("a chunked body is 413 once it passes the limit, before it ends", async () => {
    const chunk = `${(64 * 1024).toString(16)}\r\n${" ".repeat(64 * 1024)}\r\n`;
    // 1.5 MiB of chunks and no terminating chunk: only a reader that stops at the limit answers.
    const res = await rawHttp(node.port, post(["Transfer-Encoding: chunked"]), Array(24).fill(chunk));
    expect(res.status).toBe(413);
  });

  test("the limit is the http.maxBodyBytes setting", async () => {
    const put = await fetch(`${node.url}api/settings`, {
      method: "PUT",
      headers: { origin: `http://localhost:${node.port}`, "content-type": "application/json" },
      body: JSON.stringify({ "http.maxBodyBytes": 4096 }),
    });
    expect(put.status).toBe(200);
    const body = (n: number) => `{"ttl_s":3600${" ".repeat(n - '{"ttl_s":3600}'.length)}}`;
    const over = await rawHttp(node.port, post(["Content-Length: 5000"]), [body(5000)]);
    expect(over.status).toBe(413);
    const under = await rawHttp(node.port, post(["Content-Length: 4000"]), [body(4000)]);
    expect(under.status).toBe(200);
  });
});

describe("unexpected failures", () => {
  test("a route that throws answers a short 500 with a request id, logged once at error level", async () => {
    const ctx = await realHttpContext();
    const lines: string[] = [];
    ctx.log = createLogger("info", (l) => lines.push(l));
    ctx.panes.list = () => {
      throw new Error(`cannot read ${process.cwd()}/secret.json`);
    };
    const app = createHttpApp(ctx, { routes: ctx.routes, uiDir: "/nonexistent-ui" });
    const res = await app.request("/api/panes", { headers: localHeaders }, fromLoopback);
    expect(res.status).toBe(500);
    const text = await res.text();
    const body = JSON.parse(text) as { error: string; request_id: string };
    expect(body.error).toBe("internal error");
    expect(text).not.toContain(process.cwd());
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(" error ");
    expect(lines[0]).toContain(body.request_id);
  });

  test("an error the app lets through still answers a short 500, never Bun's error page", async () => {
    const lines: string[] = [];
    const throwing = {
      fetch() {
        throw new Error(`boom in ${process.cwd()}`);
      },
    } as unknown as Hono<HttpEnv>;
    const server = listen({
      host: "127.0.0.1",
      port: 0,
      fallback: false,
      app: throwing,
      endpoints: [],
      log: createLogger("info", (l) => lines.push(l)),
    });
    try {
      const res = await rawHttp(server.port ?? 0, rawRequestText("GET", "/", `localhost:${server.port}`));
      expect(res.status).toBe(500);
      expectNothingLeaked(res);
      expect(res.body).not.toContain("boom");
      const body = JSON.parse(res.body) as { request_id: string };
      expect(lines.filter((l) => l.includes(" error "))).toHaveLength(1);
      expect(lines[0]).toContain(body.request_id);
    } finally {
      await server.stop(true);
    }
  });
});

describe("connections that never send a request", () => {
  test("are closed by the node within about 10 s, so they cannot hold its file descriptors", async () => {
    const started = Date.now();
    const closed = await Promise.all(
      Array.from(
        { length: 20 },
        () =>
          new Promise<number>((resolve, reject) => {
            Bun.connect({
              hostname: "127.0.0.1",
              port: node.port,
              socket: { data() {}, close: () => resolve(Date.now() - started), error: reject },
            }).catch(reject);
          }),
      ),
    );
    expect(Math.max(...closed)).toBeLessThan(13_000);
    const health = await fetch(`http://localhost:${node.port}/api/health`);
    expect(health.status).toBe(200);
  }, 20_000);
});
