import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { createHttpApp } from "../../server/http/app.ts";
import {
  deepJson,
  type FuzzRun,
  fuzzRun,
  fuzzTimeoutMs,
  mutateBytes,
  mutateJson,
  mutateText,
  randomJson,
  randomString,
} from "../helpers/fuzz.ts";
import { expectIntact, type FuzzTarget, startFuzzTarget } from "../helpers/fuzz-target.ts";
import { realHttpContext } from "../helpers/http-context.ts";
import { api, mintInvite } from "../helpers/peer-nodes.ts";
import { processFaults } from "../helpers/raw-peer.ts";

const faults = processFaults();
let target: FuzzTarget;
let routes: Array<{ method: string; path: string }> = [];
let settingKeys: string[] = [];
let invite = "";

beforeAll(async () => {
  target = await startFuzzTarget();
  // Every route the node's hono app declares, middleware aside.
  const ctx = await realHttpContext();
  const app = createHttpApp(ctx, { routes: ctx.routes });
  const seen = new Set<string>();
  routes = app.routes
    .filter((r) => r.path !== "/*" || r.method !== "ALL")
    .filter((r) => !seen.has(`${r.method} ${r.path}`) && seen.add(`${r.method} ${r.path}`));
  settingKeys = target.node.settings.registry.all().map((d) => d.key);
  invite = await mintInvite(target.friend);
});
afterAll(() => target.stop());

/** Percent-encodes any string; a lone surrogate is sent as the replacement character. */
const encode = (s: string) => encodeURIComponent(Buffer.from(s).toString());

/** Whether the path, as a client resolves it (dot segments too), is under `/api`. */
const isApi = (path: string) => new URL(path, "http://localhost").pathname.startsWith("/api/");

const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"];

function nodeIdLike(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  return Array.from(randomBytes(16), (b) => alphabet[b % 32]).join("");
}

/** A path parameter: a plausible id or key, or something a URL parser may choke on. */
function param(run: FuzzRun): string {
  return run.pick([
    () => nodeIdLike(),
    () => target.node.identity.nodeId,
    () => run.pick(settingKeys),
    () => encode(randomString(run, 40)),
    () => run.pick(["%", "%zz", "%00", "%2e%2e", "..", "%ff%fe", "a%2Fb", "x".repeat(5000), "%E0%A4%A"]),
  ])();
}

function query(run: FuzzRun): string {
  if (run.chance(0.3)) return "";
  const pairs = Array.from({ length: 1 + run.int(3) }, () => {
    const key = run.pick(["limit", "before", "forget", "ttl_s", randomString(run, 8)]);
    const value = run.pick([
      () => String(run.pick([0, -1, 1, 50, 200, 201, 1000, 1001, 2 ** 53, 1.5])),
      () => run.pick(["1", "", "NaN", "1e3", "0x10", "%", "%zz", "Infinity"]),
      () => encode(randomString(run, 20)),
    ])();
    return `${key}=${value}`;
  });
  return `?${pairs.join(run.chance(0.9) ? "&" : ";")}`;
}

/** A concrete path for a route: parameters filled in, a wildcard given a tail. */
function pathFor(run: FuzzRun, route: string): string {
  return route
    .replace(/:[a-z_]+/g, () => param(run))
    .replace(/\*$/, () =>
      run.pick(["", "index.html", "app-0123abcd.js", "../../etc/passwd", "%2e%2e/%2e%2e/x", param(run)]),
    );
}

/** What a client would put in a body for this route, before the fuzzer bends it. */
function template(run: FuzzRun, path: string): unknown {
  if (path.endsWith("/invite")) return { ttl_s: 3600 };
  if (path.endsWith("/pair")) return { invite: run.chance(0.5) ? mutateText(run, invite) : invite };
  if (path.endsWith("/connect"))
    return {
      address: run.pick(["ws://127.0.0.1:1/peer-ws", `ws://localhost:${target.node.port}/peer-ws`, "x"]),
    };
  if (path.startsWith("/api/settings")) {
    const key = run.pick(settingKeys);
    return { [key]: target.node.settings.values()[key] };
  }
  return randomJson(run, 3);
}

type Body = string | Uint8Array<ArrayBuffer> | undefined;

function body(run: FuzzRun, path: string): { body: Body; type: string | undefined } {
  const json = template(run, path);
  const type = run.pick([
    "application/json",
    "application/json",
    "application/json; charset=utf-16",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "multipart/form-data",
    randomString(run, 30),
    undefined,
  ]);
  const text = run.pick<() => Body>([
    () => JSON.stringify(json),
    () => JSON.stringify(mutateJson(run, json)),
    () => mutateText(run, JSON.stringify(json)),
    () => deepJson(run, 50 + run.int(run.chance(0.2) ? 200_000 : 1000)),
    () => JSON.stringify({ ...(json as object), pad: "x".repeat(2 * 1024 * 1024) }),
    () => "",
    () => mutateBytes(run),
    () => undefined,
  ])();
  return { body: text, type };
}

/** Host and Origin of a request from this machine's browser, or of something that is not. */
function headers(run: FuzzRun, type: string | undefined): Record<string, string> {
  const port = target.node.port;
  const h: Record<string, string> = { origin: `http://localhost:${port}` };
  if (type !== undefined) h["content-type"] = type;
  if (run.chance(0.15)) {
    h.host = run.pick([
      `evil.example:${port}`,
      `localhost:${port + 1}`,
      "localhost:",
      "[::1",
      "a".repeat(300),
      ":::",
    ]);
  }
  if (run.chance(0.1)) h.origin = run.pick(["http://evil.example", "null", "", `http://localhost:${port}/x`]);
  return h;
}

/** Sends one HTTP/1.1 request as bytes, for what fetch will not send; the status and body back. */
async function rawRequest(
  head: string,
): Promise<{ status: number; contentType: string; body: string } | undefined> {
  const socket = connect(target.node.port, "127.0.0.1");
  socket.setTimeout(5000, () => socket.destroy());
  const chunks: Buffer[] = [];
  socket.on("data", (c: Buffer) => chunks.push(c));
  await new Promise<void>((resolve) => {
    socket.on("close", () => resolve());
    socket.on("error", () => resolve());
    socket.write(head);
  });
  const text = Buffer.concat(chunks).toString("latin1");
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  if (!match) return undefined;
  const [headers = "", body = ""] = text.split("\r\n\r\n", 2);
  return {
    status: Number(match[1]),
    contentType: /^content-type: *(.*)$/im.exec(headers)?.[1] ?? "",
    body,
  };
}

/** A request fetch would refuse to write: a Host that is not one, or none, or two. */
function oddHostRequest(run: FuzzRun): { head: string; path: string } {
  const path = run.pick(["/api/health", "/api/settings", "/api/network/peers", "/", "/ws", "/peer-ws"]);
  const port = target.node.port;
  const host = run.pick([
    () => [`Host: [::1`],
    () => [`Host: localhost:${port}:1`],
    () => [`Host: local host`],
    () => [`Host: %zz`],
    () => [`Host: `],
    () => [],
    () => [`Host: localhost:${port}`, "Host: evil.example"],
    () => [`Host: ${"a".repeat(run.pick([64, 300, 4000]))}`],
    () => [`Host: xn--${randomString(run, 20).replace(/[\r\n]/g, "")}`],
    () => [`Host: localhost:${run.pick(["0", "-1", "99999", "abc", ""])}`],
  ])();
  const lines = [`GET ${path} HTTP/1.1`, ...host, `Origin: http://localhost:${port}`, "Connection: close"];
  return { head: `${lines.join("\r\n")}\r\n\r\n`, path };
}

describe("fuzzing every REST route", () => {
  test(
    "no request to any route gets a 5xx or a page instead of a clear error, or costs data",
    async () => {
      expect(routes.length).toBeGreaterThan(20);
      const fuzz = fuzzRun("rest", 40_000);
      const statuses: Record<string, number> = {};
      const worker = async (i: number) => {
        const run = fuzz.fork(i);
        while (run.next()) {
          if (run.chance(0.1)) {
            const req = oddHostRequest(run);
            const res = await rawRequest(req.head);
            const what = JSON.stringify(req.head);
            if (!res) run.fail(`${what}: no HTTP answer`);
            else {
              statuses[res.status] = (statuses[res.status] ?? 0) + 1;
              if (res.status >= 400) run.counts.rejected += 1;
              if (res.status >= 500) run.fail(`${what}: answered ${res.status} ${res.body.slice(0, 200)}`);
              // A JSON error, or the HTTP parser's bare refusal (no Host in HTTP/1.1): never a page.
              else if (
                res.status >= 400 &&
                !res.contentType.startsWith("application/json") &&
                res.body !== ""
              )
                run.fail(
                  `${what}: answered ${res.status} ${res.contentType} with a page: ${res.body.slice(0, 120)}`,
                );
            }
            continue;
          }
          const route = run.pick(routes);
          const method = route.method === "ALL" || run.chance(0.1) ? run.pick(METHODS) : route.method;
          const path = pathFor(run, route.path) + query(run);
          const b =
            method === "GET" || method === "HEAD" ? { body: undefined, type: undefined } : body(run, path);
          const h = headers(run, b.type);
          const what = `${method} ${path.slice(0, 300)} host=${h.host ?? "-"} origin=${h.origin} type=${b.type} body=${String(b.body).slice(0, 200)}`;
          let res: Response;
          try {
            res = await fetch(`http://127.0.0.1:${target.node.port}${path}`, {
              method,
              headers: h,
              body: b.body,
              signal: AbortSignal.timeout(10_000),
            });
          } catch (err) {
            // fetch refuses some requests before sending them (a Host it cannot write, a bad URL).
            if (err instanceof TypeError) continue;
            run.fail(`${what}: no answer (${(err as Error).message})`);
            continue;
          }
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          const text = await res.text();
          if (res.status >= 400) run.counts.rejected += 1;
          if (res.status >= 500) run.fail(`${what}: answered ${res.status} ${text.slice(0, 200)}`);
          // Refused by the HTTP parser before any route (a NUL in a header, a URL too long): a bare
          // status on a closed connection is all there is to say.
          else if (
            [400, 414, 431].includes(res.status) &&
            text === "" &&
            res.headers.get("connection") === "close"
          )
            continue;
          else if (res.status >= 400 && isApi(path) && method !== "HEAD") {
            let error: unknown;
            try {
              error = (JSON.parse(text) as { error?: unknown }).error;
            } catch {}
            if (typeof error !== "string")
              run.fail(
                `${what}: answered ${res.status} without an error: ${text.slice(0, 200)} ${JSON.stringify([...res.headers])}`,
              );
          }
        }
      };
      await Promise.all([0, 1, 2].map(worker));
      fuzz.report({
        ...statuses,
        routes: routes.length,
        logged_errors: target.loggedErrors.length,
        faults: faults.length,
      });
      expect(fuzz.failures).toEqual([]);
      // Settings the fuzzing changed are a user's to change; put them back before judging the rest.
      for (const key of settingKeys)
        expect((await api(target.node, "DELETE", `/api/settings/${key}`)).status).toBe(200);
      await expectIntact(target, faults);
    },
    fuzzTimeoutMs(),
  );
});
