import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import {
  type Backplane,
  BackplaneUnavailableError,
  type NodeRecord,
  NoSuchRoomError,
  type RoomRecord,
} from "../../../lobby/backplane/backplane.ts";
import { createLogger, type Logger } from "../../../server/log.ts";
import { Recorder } from "./backplane-recorder.ts";

/** A backplane a test can also kill: `abandon` leaves what it held to lapse, as kill -9 would. */
export type TestBackplane = Backplane & { abandon(): void };

/** How the contract gets backplanes of one kind on one shared store, and plays with the store. */
export interface BackplaneFixture {
  readonly name: string;
  /** Once per file; throws a sentence saying what is missing when the store cannot be had. */
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** An empty store for the next test. */
  reset(): Promise<void>;
  /** A backplane on the shared store; `presenceTtlMs` shortened by the tests that wait for it. */
  make(opts: { instance: string; presenceTtlMs?: number; log?: Logger }): TestBackplane;
  /** A backplane whose store cannot be reached. */
  unreachable(): TestBackplane;
  /** The store goes away (connections drop)... */
  stopStore(): Promise<void>;
  /** ...and comes back empty, as a Redis restarted without persistence. */
  startStore(): Promise<void>;
  /** Whatever the store holds that names `text` (keys and values). */
  mentions(text: string): Promise<string[]>;
}

async function eventually(check: () => Promise<boolean> | boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

function nodeId(): string {
  return [...randomBytes(16)].map((b) => BASE32[b % 32]).join("");
}

function nodeRecord(overrides: Partial<NodeRecord> = {}): NodeRecord {
  return {
    nodeId: nodeId(),
    publicKey: randomBytes(32).toString("base64"),
    name: "a node",
    capabilities: ["chat"],
    addresses: ["ws://10.0.0.1:7300/peer-ws"],
    listed: true,
    since: Date.now(),
    ...overrides,
  };
}

function roomRecord(host: NodeRecord, overrides: Partial<RoomRecord> = {}): RoomRecord {
  return {
    id: randomBytes(16).toString("hex"),
    name: "a room",
    host: host.nodeId,
    hostName: host.name,
    visibility: "public",
    policy: "open",
    tokenHash: undefined,
    createdAt: Date.now(),
    ...overrides,
  };
}

/** The one contract every backplane meets (lobby/backplane/backplane.ts). */
export function backplaneContract(fixture: BackplaneFixture): void {
  describe(`backplane contract: ${fixture.name}`, () => {
    const running: TestBackplane[] = [];
    let n = 0;

    beforeAll(() => fixture.setup());
    afterAll(() => fixture.teardown());
    beforeEach(() => fixture.reset());
    afterEach(async () => {
      await Promise.all(running.splice(0).map((b) => b.stop()));
    });

    /** A started backplane and what it hears. */
    async function instance(
      presenceTtlMs?: number,
      log?: Logger,
    ): Promise<{ bp: TestBackplane; heard: Recorder }> {
      n += 1;
      const bp = fixture.make({
        instance: `i${n}`,
        ...(presenceTtlMs ? { presenceTtlMs } : {}),
        ...(log ? { log } : {}),
      });
      const heard = new Recorder();
      running.push(bp);
      await bp.start(heard);
      return { bp, heard };
    }

    test("starts healthy, and a store it cannot reach makes start reject with BackplaneUnavailableError", async () => {
      const { bp } = await instance();
      expect(bp.health()).toBe("ok");
      const lost = fixture.unreachable();
      const started = Date.now();
      await expect(lost.start(new Recorder())).rejects.toBeInstanceOf(BackplaneUnavailableError);
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(lost.health()).toBe("degraded");
      await lost.stop();
    });

    test("a node registered on a second instance is held only there: the first hears replaced", async () => {
      const a = await instance();
      const b = await instance();
      const x = nodeRecord();
      expect(await a.bp.register(x)).toEqual({ previous: undefined });
      expect((await b.bp.node(x.nodeId))?.instance).toBe(a.bp.instance);

      expect(await b.bp.register({ ...x, name: "moved" })).toEqual({ previous: a.bp.instance });
      await a.heard.next("replaced", (e) => e.nodeId === x.nodeId);
      const held = await a.bp.node(x.nodeId);
      expect(held).toMatchObject({ instance: b.bp.instance, name: "moved" });

      // The old instance letting go (its socket closing) takes nothing from the new registration.
      await a.bp.unregister(x.nodeId);
      await a.bp.update({ ...x, name: "stale" });
      expect(await b.bp.node(x.nodeId)).toMatchObject({ instance: b.bp.instance, name: "moved" });
      expect((await a.bp.nodes()).filter((h) => h.nodeId === x.nodeId)).toHaveLength(1);
      expect(b.heard.of("replaced")).toHaveLength(0);
    });

    test("the directory spans instances: each hears the other's nodes come, change and go", async () => {
      const a = await instance();
      const early = nodeRecord({ name: "early" });
      await a.bp.register(early);
      const b = await instance();
      // A newcomer hears of every node already held elsewhere.
      await b.heard.next("nodeChanged", (e) => e.node.nodeId === early.nodeId);

      const x = nodeRecord({ listed: false });
      await a.bp.register(x);
      const came = await b.heard.next("nodeChanged", (e) => e.node.nodeId === x.nodeId);
      expect(came.node).toMatchObject({ instance: a.bp.instance, listed: false, addresses: x.addresses });
      await a.bp.update({ ...x, listed: true, name: "renamed" });
      await b.heard.next("nodeChanged", (e) => e.node.nodeId === x.nodeId && e.node.name === "renamed");

      const y = nodeRecord();
      await b.bp.register(y);
      await a.heard.next("nodeChanged", (e) => e.node.nodeId === y.nodeId);
      const all = await a.bp.nodes();
      expect(all.map((h) => h.nodeId).sort()).toEqual([early.nodeId, x.nodeId, y.nodeId].sort());
      expect(all.find((h) => h.nodeId === y.nodeId)?.instance).toBe(b.bp.instance);
      // An instance does not hear of its own nodes.
      expect(a.heard.of("nodeChanged").some((e) => e.node.instance === a.bp.instance)).toBe(false);

      await a.bp.unregister(x.nodeId);
      await b.heard.next("nodeLeft", (e) => e.nodeId === x.nodeId);
      expect(await b.bp.node(x.nodeId)).toBeUndefined();
      expect(await fixture.mentions(x.nodeId)).toEqual([]);
    });

    test("a room id is unique across instances; its host may restore it on another instance", async () => {
      const a = await instance();
      const b = await instance();
      const host = nodeRecord();
      const other = nodeRecord();
      await a.bp.register(host);
      await b.bp.register(other);
      const hash = "ab".repeat(32);
      const room = roomRecord(host, { policy: "token", tokenHash: hash, createdAt: 1_000 });
      expect(await a.bp.putRoom(room)).toBe("created");
      expect(await b.bp.putRoom({ ...room, host: other.nodeId, hostName: other.name })).toBe("taken");
      expect(await b.bp.room(room.id)).toMatchObject({
        host: host.nodeId,
        tokenHash: hash,
        instance: a.bp.instance,
      });

      // The host moves to the other instance and restores its room there: same id, same token hash.
      await b.bp.register(host);
      expect(await b.bp.putRoom({ ...room, name: "restored", createdAt: 2_000 })).toBe("replaced");
      const restored = await a.bp.room(room.id);
      expect(restored).toMatchObject({
        name: "restored",
        tokenHash: hash,
        instance: b.bp.instance,
        createdAt: 1_000,
        members: 1,
      });
      expect((await a.bp.roomsOf(host.nodeId)).map((r) => r.id)).toEqual([room.id]);
      expect(await a.bp.roomsOf(other.nodeId)).toEqual([]);
    });

    test("public rooms of every instance are listed newest first, with members, while their host is registered", async () => {
      const a = await instance();
      const b = await instance();
      const h1 = nodeRecord();
      const h2 = nodeRecord();
      const guest = nodeRecord();
      await a.bp.register(h1);
      await b.bp.register(h2);
      await b.bp.register(guest);
      const older = roomRecord(h1, { createdAt: 1_000 });
      const newer = roomRecord(h2, { createdAt: 2_000 });
      const unlisted = roomRecord(h2, { visibility: "unlisted", createdAt: 3_000 });
      await a.bp.putRoom(older);
      await b.bp.putRoom(newer);
      await b.bp.putRoom(unlisted);

      expect(await b.bp.joinRoom(older.id, guest.nodeId)).toBe(true);
      expect(await b.bp.joinRoom(older.id, guest.nodeId)).toBe(false);
      const listing = await a.bp.publicRooms(10);
      expect(listing.map((r) => [r.id, r.members])).toEqual([
        [newer.id, 1],
        [older.id, 2],
      ]);
      expect((await b.bp.publicRooms(1)).map((r) => r.id)).toEqual([newer.id]);
      expect(await a.bp.roomGuests(older.id)).toEqual([guest.nodeId]);

      // A host that left is not listed (its room waits for it, unlisted meanwhile).
      await b.bp.unregister(h2.nodeId);
      expect((await a.bp.publicRooms(10)).map((r) => r.id)).toEqual([older.id]);
      expect(await a.bp.room(newer.id)).toBeDefined();
    });

    test("joining, leaving and closing rooms across instances", async () => {
      const a = await instance();
      const b = await instance();
      const host = nodeRecord();
      const g1 = nodeRecord();
      const g2 = nodeRecord();
      await a.bp.register(host);
      await b.bp.register(g1);
      await a.bp.register(g2);
      const room = roomRecord(host);
      await a.bp.putRoom(room);
      await b.bp.joinRoom(room.id, g1.nodeId);
      await a.bp.joinRoom(room.id, g2.nodeId);
      expect((await a.bp.room(room.id))?.members).toBe(3);
      expect(await b.bp.leaveRoom(room.id, g1.nodeId)).toBe(true);
      expect(await b.bp.leaveRoom(room.id, g1.nodeId)).toBe(false);
      await b.bp.joinRoom(room.id, g1.nodeId);
      // A guest that unregisters leaves its rooms.
      await a.bp.unregister(g2.nodeId);
      expect(await a.bp.roomGuests(room.id)).toEqual([g1.nodeId]);

      expect(await b.bp.deleteRoom(room.id)).toEqual([g1.nodeId]);
      expect(await a.bp.room(room.id)).toBeUndefined();
      expect(await a.bp.deleteRoom(room.id)).toBeUndefined();
      await expect(b.bp.joinRoom(room.id, g1.nodeId)).rejects.toBeInstanceOf(NoSuchRoomError);
      expect(await b.bp.leaveRoom(room.id, g1.nodeId)).toBe(false);
      expect(await a.bp.roomGuests(room.id)).toEqual([]);
      expect(await fixture.mentions(room.id)).toEqual([]);
    });

    test("a frame is delivered to the instance holding its node, text and bytes as they were", async () => {
      const a = await instance();
      const b = await instance();
      const x = nodeRecord();
      await a.bp.register(x);
      const text = JSON.stringify({ type: "signal", from: "abcdefghijklmnop", data: { sdp: "v=0\r\n…" } });
      expect(await b.bp.deliver(x.nodeId, text)).toBe(true);
      expect((await a.heard.next("delivery")).frame).toBe(text);

      const bytes = new Uint8Array(300);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7) % 256;
      bytes[0] = 0x52;
      const view = new Uint8Array(bytes.buffer, 0, 200);
      expect(await b.bp.deliver(x.nodeId, view)).toBe(true);
      const got = await a.heard.next("delivery", (e) => typeof e.frame !== "string");
      expect(got.to).toBe(x.nodeId);
      expect([...(got.frame as Uint8Array)]).toEqual([...view]);
      // Delivery to a node of this instance goes through the same way.
      expect(await a.bp.deliver(x.nodeId, "self")).toBe(true);
      await a.heard.next("delivery", (e) => e.frame === "self");

      expect(await b.bp.deliver(nodeId(), "nobody")).toBe(false);
      expect(b.heard.of("delivery")).toHaveLength(0);
      // Once the node moved, frames for it go to its new instance only.
      await b.bp.register(x);
      await a.heard.next("replaced");
      expect(await a.bp.deliver(x.nodeId, "moved")).toBe(true);
      await b.heard.next("delivery", (e) => e.frame === "moved");
    });

    test("a killed instance's nodes, rooms and places lapse within the TTL, on every instance and in the store", async () => {
      const ttl = 800;
      const a = await instance(ttl);
      const lines: string[] = [];
      const b = await instance(
        ttl,
        createLogger("info", (line) => lines.push(line)),
      );
      const x = nodeRecord();
      const hostB = nodeRecord();
      await a.bp.register(x);
      await b.bp.register(hostB);
      const roomA = roomRecord(x);
      const roomB = roomRecord(hostB);
      await a.bp.putRoom(roomA);
      await b.bp.putRoom(roomB);
      await a.bp.joinRoom(roomB.id, x.nodeId);
      await b.bp.joinRoom(roomA.id, hostB.nodeId);
      await a.bp.hit(`signal:${x.nodeId}`, 60_000);
      await b.heard.next("nodeChanged", (e) => e.node.nodeId === x.nodeId);
      // Refreshes keep everything while the instance lives.
      await Bun.sleep(ttl * 1.5);
      expect(await b.bp.node(x.nodeId)).toBeDefined();
      expect((await b.bp.room(roomB.id))?.members).toBe(2);

      a.bp.abandon();
      const killed = Date.now();
      await b.heard.next("nodeLeft", (e) => e.nodeId === x.nodeId, ttl + 1_000);
      // Within the TTL, give or take the scheduling of timers.
      expect(Date.now() - killed).toBeLessThan(ttl + 250);
      await b.heard.next("guestExpired", (e) => e.roomId === roomB.id && e.guest === x.nodeId, ttl);
      // The operator of b reads that a went, and what went with it.
      expect(lines.filter((l) => l.includes("stopped refreshing its lease"))).toHaveLength(1);
      expect(lines.find((l) => l.includes("stopped refreshing"))).toContain(
        `"instance":"${a.bp.instance}","nodes":1`,
      );
      // b's node sat in a's room: the room lapsed with a, and b hears its node lost that place.
      await b.heard.next("seatLost", (e) => e.roomId === roomA.id && e.guest === hostB.nodeId, ttl);
      expect(await b.bp.node(x.nodeId)).toBeUndefined();
      expect(await b.bp.room(roomA.id)).toBeUndefined();
      expect((await b.bp.room(roomB.id))?.members).toBe(1);
      expect((await b.bp.nodes()).map((h) => h.nodeId)).toEqual([hostB.nodeId]);
      // Nothing of the dead instance is left behind: no ghost entries, not even in indexes.
      await eventually(
        async () => (await fixture.mentions(a.bp.instance)).length === 0,
        "no trace of the instance",
        ttl,
      );
      expect(await fixture.mentions(roomA.id)).toEqual([]);
      expect(
        (await fixture.mentions(x.nodeId)).filter((m) => !m.includes("rate") && !m.includes("counter")),
      ).toEqual([]);
      expect(b.bp.health()).toBe("ok");
    });

    test("a listener that throws costs the backplane nothing: what follows still arrives", async () => {
      const a = await instance();
      const b = await instance();
      let failures = 0;
      b.heard.nodeChanged = () => {
        failures += 1;
        throw new Error("listener bug");
      };
      const x = nodeRecord();
      const y = nodeRecord();
      await a.bp.register(x);
      await b.bp.register(y);
      await eventually(() => failures > 0, "the failing listener called");
      expect(await a.bp.deliver(y.nodeId, "still here")).toBe(true);
      await b.heard.next("delivery", (e) => e.frame === "still here");
      expect(b.bp.health()).toBe("ok");
    });

    test("a clean stop takes the instance's nodes out at once", async () => {
      const a = await instance();
      const b = await instance();
      const x = nodeRecord();
      await a.bp.register(x);
      await b.heard.next("nodeChanged", (e) => e.node.nodeId === x.nodeId);
      await a.bp.stop();
      await b.heard.next("nodeLeft", (e) => e.nodeId === x.nodeId, 1_000);
      expect(await b.bp.node(x.nodeId)).toBeUndefined();
      await expect(a.bp.register(nodeRecord())).rejects.toBeInstanceOf(BackplaneUnavailableError);
    });

    test("a rate counter is shared: every instance counts against one window", async () => {
      const a = await instance();
      const b = await instance();
      const key = `join_room:${nodeId()}`;
      expect(await a.bp.hit(key, 60_000)).toBe(1);
      expect(await b.bp.hit(key, 60_000)).toBe(2);
      expect(await a.bp.hit(key, 60_000)).toBe(3);
      expect(await b.bp.hit(`other:${nodeId()}`, 60_000)).toBe(1);
      // A short window starts over.
      const short = `signal:${nodeId()}`;
      expect(await a.bp.hit(short, 100)).toBeGreaterThanOrEqual(1);
      await Bun.sleep(250);
      expect(await b.bp.hit(short, 100)).toBe(1);
    });

    test("the store going away makes every instance degraded; back, each publishes what it holds again", async () => {
      // Short leases: a place in a room of an instance that comes back later is seated by a refresh.
      const a = await instance(1_200);
      const b = await instance(1_200);
      const x = nodeRecord();
      const y = nodeRecord();
      const gone = nodeRecord();
      await a.bp.register(x);
      await a.bp.register(gone);
      await b.bp.register(y);
      const room = roomRecord(x, { policy: "token", tokenHash: "cd".repeat(32) });
      await a.bp.putRoom(room);
      await b.bp.joinRoom(room.id, y.nodeId);
      await b.heard.next("nodeChanged", (e) => e.node.nodeId === x.nodeId);

      await fixture.stopStore();
      await a.heard.next("health", (e) => e.status === "degraded");
      await b.heard.next("health", (e) => e.status === "degraded");
      expect(a.bp.health()).toBe("degraded");
      // Nothing waits in a queue: calls fail at once.
      const asked = Date.now();
      await expect(a.bp.deliver(y.nodeId, "hello")).rejects.toBeInstanceOf(BackplaneUnavailableError);
      await expect(b.bp.nodes()).rejects.toBeInstanceOf(BackplaneUnavailableError);
      expect(Date.now() - asked).toBeLessThan(500);
      // What changes meanwhile on an instance is kept there and published on the store's return.
      const meanwhile = nodeRecord({ name: "meanwhile" });
      await expect(a.bp.register(meanwhile)).rejects.toBeInstanceOf(BackplaneUnavailableError);
      await expect(a.bp.unregister(gone.nodeId)).rejects.toBeInstanceOf(BackplaneUnavailableError);

      const mark = b.heard.events.length;
      await fixture.startStore();
      await a.heard.next("health", (e) => e.status === "ok", 10_000);
      await b.heard.next("health", (e) => e.status === "ok", 10_000);
      expect(a.bp.health()).toBe("ok");
      expect((await b.bp.node(x.nodeId))?.instance).toBe(a.bp.instance);
      expect((await b.bp.node(meanwhile.nodeId))?.name).toBe("meanwhile");
      expect(await b.bp.node(gone.nodeId)).toBeUndefined();
      expect((await a.bp.node(y.nodeId))?.instance).toBe(b.bp.instance);
      expect(await b.bp.room(room.id)).toMatchObject({ tokenHash: "cd".repeat(32), instance: a.bp.instance });
      await eventually(
        async () => (await b.bp.room(room.id))?.members === 2,
        "the guest seated again",
        1_200,
      );
      // The listener hears of the other instance's nodes again, so a directory built on it catches up.
      await b.heard.next("nodeChanged", (e) => e.node.nodeId === meanwhile.nodeId, 5_000, mark);
      await b.heard.next("nodeChanged", (e) => e.node.nodeId === x.nodeId, 5_000, mark);
      expect(await b.bp.deliver(x.nodeId, "after")).toBe(true);
      await a.heard.next("delivery", (e) => e.frame === "after");
      expect(b.heard.of("replaced")).toHaveLength(0);
      expect(a.heard.of("replaced")).toHaveLength(0);
    });
  });
}
