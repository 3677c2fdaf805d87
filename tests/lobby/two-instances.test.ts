import { MemoryBackplane } from "../../lobby/backplane/memory-backplane.ts";
import { MemoryStore } from "../../lobby/backplane/memory-store.ts";
import { twoInstanceFailures } from "./two-instances-failures.ts";
import { type SharedStoreFixture, twoInstanceScenarios } from "./two-instances-scenarios.ts";

let store = new MemoryStore();

// Two lobbies in this process on one MemoryStore, which stands for a Redis they share.
const memory: SharedStoreFixture = {
  name: "memory",
  async setup() {},
  async teardown() {},
  async reset() {
    store = new MemoryStore();
  },
  backplane: (instance, presenceTtlMs) =>
    new MemoryBackplane({ instance, store, retryMaxMs: 300, ...(presenceTtlMs ? { presenceTtlMs } : {}) }),
  async stopStore() {
    store.fail();
  },
  async startStore() {
    store.recover();
  },
};

twoInstanceScenarios(memory);
twoInstanceFailures(memory);
