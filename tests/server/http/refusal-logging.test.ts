import { describe, expect, test } from "bun:test";
import { createHttpApp } from "../../../server/http/app.ts";
import { throttledWarn } from "../../../server/http/request-edge.ts";
import { createLogger } from "../../../server/log.ts";
import { fromLan, realHttpContext, TEST_PORT } from "../../helpers/http-context.ts";

describe("logging what strangers send", () => {
  test("a thousand refused requests from another machine write one log line, not a thousand", async () => {
    const ctx = await realHttpContext();
    const lines: string[] = [];
    ctx.log = createLogger("info", (l) => lines.push(l));
    const app = createHttpApp(ctx, { routes: ctx.routes, uiDir: "/nonexistent-ui" });
    for (let i = 0; i < 1000; i++) {
      const res = await app.request(
        `/api/settings/${"x".repeat(i)}`,
        { headers: { host: `192.168.1.2:${TEST_PORT}` } },
        fromLan,
      );
      expect(res.status).toBe(403);
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("refused request");
  });

  test("after a quiet interval the next warning says how many were left out", async () => {
    const lines: string[] = [];
    const warn = throttledWarn(
      createLogger("info", (l) => lines.push(l)),
      50,
    );
    for (let i = 0; i < 100; i++) warn("refused request", { n: i });
    await Bun.sleep(60);
    warn("refused request", { n: 100 });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('"n":0');
    expect(lines[1]).toContain('"similar_left_out":99');
  });
});
