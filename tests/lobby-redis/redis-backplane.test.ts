import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { RedisClient } from "bun";
import type { BackplaneHealth } from "../../lobby/backplane/backplane.ts";
import { KEY_PREFIX, RedisBackplane } from "../../lobby/backplane/redis-backplane.ts";
import { type RedisServer, startRedisServer } from "../helpers/redis-server.ts";
import { type BackplaneFixture, backplaneContract } from "../lobby/backplane/backplane-contract.ts";

/** Reconnects come quickly in tests: the outage case waits for them. */
const RETRY_MAX_MS = 300;

let server: RedisServer | undefined;
let probe: RedisClient | undefined;

/** The server this file started; a test that runs without one fails saying why. */
function redis(): RedisServer {
  if (!server) throw new Error("redis-server did not start (see the first failure of this suite)");
  return server;
}

const redisFixture: BackplaneFixture = {
  name: "redis (a real redis-server)",
  async setup() {
    // No redis-server is a failure with its reason, never a silent skip.
    server ??= await startRedisServer();
  },
  async teardown() {
    probe?.close();
    probe = undefined;
  },
  async reset() {
    await redis().cli("FLUSHALL");
  },
  make: (opts) => new RedisBackplane({ ...opts, url: redis().url, retryMaxMs: RETRY_MAX_MS }),
  unreachable: () => new RedisBackplane({ url: "redis://127.0.0.1:1", connectTimeoutMs: 500 }),
  async stopStore() {
    probe?.close();
    probe = undefined;
    await redis().stop();
  },
  async startStore() {
    await redis().start();
  },
  async mentions(text) {
    if (!probe?.connected) {
      probe = new RedisClient(redis().url, { autoReconnect: false });
      await probe.connect();
    }
    const client = probe;
    const found: string[] = [];
    for (const key of (await client.send("KEYS", [`${KEY_PREFIX}*`])) as string[]) {
      const type = String(await client.send("TYPE", [key]));
      let body: unknown;
      if (type === "string") body = await client.send("GET", [key]);
      else if (type === "hash") body = await client.send("HGETALL", [key]);
      else if (type === "set") body = await client.send("SMEMBERS", [key]);
      else if (type === "zset") body = await client.send("ZRANGE", [key, "0", "-1"]);
      const line = `${key} ${JSON.stringify(body)}`;
      if (line.includes(text)) found.push(line);
    }
    return found;
  },
};

afterAll(() => server?.close());

backplaneContract(redisFixture);

// What only a real Redis can do: stop answering while its sockets stay open.
describe("redis backplane", () => {
  beforeAll(() => redisFixture.setup());
  test("a Redis that freezes makes the backplane degraded within the command timeout, and ok once it answers", async () => {
    const srv = redis();
    await srv.cli("FLUSHALL");
    const healths: BackplaneHealth[] = [];
    const listener = {
      delivery() {},
      nodeChanged() {},
      nodeLeft() {},
      replaced() {},
      guestExpired() {},
      seatLost() {},
      health: (h: BackplaneHealth) => healths.push(h),
    };
    const bp = new RedisBackplane({
      url: srv.url,
      instance: "frozen",
      commandTimeoutMs: 400,
      connectTimeoutMs: 400,
      retryMaxMs: RETRY_MAX_MS,
    });
    await bp.start(listener);
    const node = {
      nodeId: "abcdefghijklmnop",
      publicKey: Buffer.alloc(32, 1).toString("base64"),
      name: "n",
      capabilities: [],
      addresses: [],
      listed: true,
      since: 1,
    };
    await bp.register(node);
    try {
      srv.pause();
      const asked = Date.now();
      await expect(bp.nodes()).rejects.toThrow(/Redis|reach/);
      expect(Date.now() - asked).toBeLessThan(1_500);
      expect(bp.health()).toBe("degraded");
      srv.resume();
      const deadline = Date.now() + 10_000;
      while (bp.health() !== "ok" && Date.now() < deadline) await Bun.sleep(20);
      expect(bp.health()).toBe("ok");
      expect(healths).toEqual(["degraded", "ok"]);
      expect((await bp.node(node.nodeId))?.instance).toBe("frozen");
    } finally {
      srv.resume();
      await bp.stop();
    }
  });

  test("what reaches Redis holds no secret: the URL's password is never in an error", async () => {
    const bp = new RedisBackplane({ url: "redis://:hunter2@127.0.0.1:1", connectTimeoutMs: 300 });
    const err = await bp
      .start({
        delivery() {},
        nodeChanged() {},
        nodeLeft() {},
        replaced() {},
        guestExpired() {},
        seatLost() {},
        health() {},
      })
      .catch((e: unknown) => e as Error);
    expect(String(err)).toContain("redis://127.0.0.1:1");
    expect(String(err)).not.toContain("hunter2");
  });
});
