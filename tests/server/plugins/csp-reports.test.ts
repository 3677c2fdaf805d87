import { describe, expect, test } from "bun:test";
import { type PluginRow, pluginRow } from "../../../protocol/plugin.ts";
import type { Logger } from "../../../server/log.ts";
import { MAX_REPORT_BYTES } from "../../../server/plugins/csp-report.ts";
import { FrameReports, LOG_EVERY_MS, RECENT_VIOLATIONS } from "../../../server/plugins/frame-reports.ts";
import { fromLan, fromLoopback, TEST_PORT } from "../../helpers/http-context.ts";
import { pluginApp, writePlugin } from "./plugin-fixtures.ts";

const HOST = `localhost:${TEST_PORT}`;

/** A report the way a browser posts it: `application/csp-report`, no Origin, no cookies. */
function report(body: unknown, extra: { host?: string; type?: string; env?: object } = {}) {
  return {
    init: {
      method: "POST",
      headers: { host: extra.host ?? HOST, "content-type": extra.type ?? "application/csp-report" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    },
    env: extra.env ?? fromLoopback,
  };
}

const connectBlocked = {
  "csp-report": {
    "document-uri": `http://${HOST}/plugin-frame/good`,
    "effective-directive": "connect-src",
    "violated-directive": "connect-src",
    "blocked-uri": "https://evil.example/steal",
    "original-policy": "…",
    disposition: "enforce",
  },
};

async function reportingApp() {
  const lines: Array<{ message: string; fields?: Record<string, unknown> }> = [];
  const parts = await pluginApp((dir) => writePlugin(dir, "good", { name: "Good" }));
  const logger: Logger = {
    error() {},
    info() {},
    debug() {},
    warn: (message, fields) => lines.push({ message, fields }),
  };
  parts.ctx.log = logger;
  const post = (id: string, r: ReturnType<typeof report>) =>
    parts.app.request(`/plugin-frame/${id}/csp-report`, r.init, r.env);
  const blocked = async () =>
    pluginRow.parse((await parts.call<PluginRow>("GET", "/api/plugins/good")).body).blocked;
  return { ...parts, lines, post, blocked };
}

describe("reports from a plugin's frame", () => {
  test("a report without Origin from this machine is recorded, listed on the plugin and logged", async () => {
    const { post, blocked, lines } = await reportingApp();
    const res = await post("good", report(connectBlocked));
    expect(res.status).toBe(204);
    const seen = await blocked();
    expect(seen.count).toBe(1);
    expect(seen.recent).toEqual([
      { directive: "connect-src", blocked: "https://evil.example/steal", at: expect.any(Number) },
    ]);
    expect(lines).toEqual([
      {
        message: "plugin frame blocked",
        fields: { plugin: "good", directive: "connect-src", blocked: "https://evil.example/steal", count: 1 },
      },
    ]);
  });

  test("an older browser's violated-directive counts by its name, and application/json is taken too", async () => {
    const { post, blocked } = await reportingApp();
    const old = {
      "csp-report": { "violated-directive": "script-src http://x/a.js", "blocked-uri": "inline" },
    };
    expect((await post("good", report(old, { type: "application/json" }))).status).toBe(204);
    expect((await blocked()).recent[0]).toMatchObject({ directive: "script-src", blocked: "inline" });
  });

  test("a malformed report is a 400 and nothing is recorded", async () => {
    const { post, blocked } = await reportingApp();
    for (const body of [
      "{not json",
      { other: 1 },
      { "csp-report": {} },
      { "csp-report": { "blocked-uri": "x" } },
      { "csp-report": { "effective-directive": "img-src" } },
      { "csp-report": { "effective-directive": 3, "blocked-uri": "x" } },
      [],
      "null",
    ]) {
      const res = await post("good", report(body));
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(String(((await res.json()) as { error: string }).error)).toStartWith("not a CSP report");
    }
    expect(await blocked()).toEqual({ count: 0, recent: [] });
  });

  test("a report over 8 KiB is refused unread, declared or streamed, and one of another type is 415", async () => {
    const { app, post, blocked } = await reportingApp();
    const padded = {
      "csp-report": { ...connectBlocked["csp-report"], "script-sample": "x".repeat(MAX_REPORT_BYTES) },
    };
    expect((await post("good", report(padded))).status).toBe(413);
    const chunks = [new TextEncoder().encode(JSON.stringify(padded))];
    const stream = new ReadableStream({
      pull(controller) {
        const next = chunks.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    const streamed = await app.request(
      "/plugin-frame/good/csp-report",
      { method: "POST", headers: { host: HOST, "content-type": "application/csp-report" }, body: stream },
      fromLoopback,
    );
    expect(streamed.status).toBe(413);
    expect((await post("good", report(connectBlocked, { type: "text/plain" }))).status).toBe(415);
    expect((await blocked()).count).toBe(0);
  });

  test("reports for unknown plugins are 404, and only this machine with a good Host may send any", async () => {
    const { post, blocked } = await reportingApp();
    expect((await post("ghost", report(connectBlocked))).status).toBe(404);
    expect(
      (await post("good", report(connectBlocked, { env: fromLan, host: `192.168.1.2:${TEST_PORT}` }))).status,
    ).toBe(403);
    expect((await post("good", report(connectBlocked, { host: "evil.example" }))).status).toBe(403);
    expect((await blocked()).count).toBe(0);
  });

  test("a frame that keeps trying is logged once per 10 s, and its count keeps growing", async () => {
    const { post, blocked, lines } = await reportingApp();
    for (let i = 0; i < 5; i++) expect((await post("good", report(connectBlocked))).status).toBe(204);
    expect(lines).toHaveLength(1);
    expect((await blocked()).count).toBe(5);
  });
});

describe("what is kept of the reports", () => {
  test("the newest 20 per plugin, newest last, a count of all, and a log line per plugin per 10 s", () => {
    let now = 1_000_000;
    const reports = new FrameReports(() => now);
    const logged: boolean[] = [];
    for (let i = 1; i <= RECENT_VIOLATIONS + 5; i++) {
      logged.push(reports.record("a", { directive: "img-src", blocked: `http://x/${i}` }).log);
      now += 100;
    }
    const a = reports.of("a");
    expect(a.count).toBe(RECENT_VIOLATIONS + 5);
    expect(a.recent).toHaveLength(RECENT_VIOLATIONS);
    expect(a.recent[0]?.blocked).toBe("http://x/6");
    expect(a.recent.at(-1)?.blocked).toBe(`http://x/${RECENT_VIOLATIONS + 5}`);
    expect(logged.filter(Boolean)).toHaveLength(1);
    // Another plugin logs on its own; the first again once 10 s passed.
    expect(reports.record("b", { directive: "img-src", blocked: "x" }).log).toBe(true);
    now += LOG_EVERY_MS;
    expect(reports.record("a", { directive: "img-src", blocked: "y" }).log).toBe(true);
    expect(reports.of("nobody")).toEqual({ count: 0, recent: [] });
  });
});
