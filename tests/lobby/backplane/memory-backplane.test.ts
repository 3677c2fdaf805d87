import { MemoryBackplane } from "../../../lobby/backplane/memory-backplane.ts";
import { MemoryStore } from "../../../lobby/backplane/memory-store.ts";
import { type BackplaneFixture, backplaneContract } from "./backplane-contract.ts";

/** Reconnects come quickly in tests: the outage case waits for them. */
const RETRY_MAX_MS = 300;

let store = new MemoryStore();

const memory: BackplaneFixture = {
  name: "memory",
  async setup() {},
  async teardown() {},
  async reset() {
    store = new MemoryStore();
  },
  make: (opts) => new MemoryBackplane({ ...opts, store, retryMaxMs: RETRY_MAX_MS }),
  unreachable() {
    const down = new MemoryStore();
    down.fail();
    return new MemoryBackplane({ store: down });
  },
  async stopStore() {
    store.fail();
  },
  async startStore() {
    store.recover();
  },
  async mentions(text) {
    return store.mentions(text);
  },
};

backplaneContract(memory);
