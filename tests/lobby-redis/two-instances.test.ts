import { RedisBackplane } from "../../lobby/backplane/redis-backplane.ts";
import { type RedisServer, startRedisServer } from "../helpers/redis-server.ts";
import { twoInstanceFailures } from "../lobby/two-instances-failures.ts";
import { type SharedStoreFixture, twoInstanceScenarios } from "../lobby/two-instances-scenarios.ts";

let server: RedisServer | undefined;

/** The server this file started; a test that runs without one fails saying why. */
function redis(): RedisServer {
  if (!server) throw new Error("redis-server did not start (see the first failure of this suite)");
  return server;
}

// Two lobbies in this process on one real redis-server, as two `weft --lobby --redis-url` would be.
const redisFixture: SharedStoreFixture = {
  name: "redis (a real redis-server)",
  async setup() {
    // No redis-server is a failure with its reason, never a silent skip.
    server ??= await startRedisServer();
  },
  async teardown() {
    // Each describe of the scenarios sets up and tears down: the next one starts a server anew.
    await server?.close();
    server = undefined;
  },
  async reset() {
    await redis().cli("FLUSHALL");
  },
  backplane: (instance, presenceTtlMs) =>
    new RedisBackplane({
      url: redis().url,
      instance,
      retryMaxMs: 300,
      ...(presenceTtlMs ? { presenceTtlMs } : {}),
    }),
  async stopStore() {
    await redis().stop();
  },
  async startStore() {
    await redis().start();
  },
};

twoInstanceScenarios(redisFixture);
twoInstanceFailures(redisFixture);
