import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import type { Backplane } from "../../lobby/backplane/backplane.ts";
import type { LobbyLimits } from "../../lobby/limits.ts";
import type { RunningLobby } from "../../lobby/lobby-server.ts";
import { type LobbyHealth, lobbyHealth, readRelayBinary, writeRelayBinary } from "../../protocol/lobby.ts";
import type { NodeIdentity } from "../../server/identity/identity.ts";
import { LobbyPeer, newIdentity } from "../helpers/lobby-peer.ts";
import { RawLobbySocket } from "../helpers/raw-lobby-socket.ts";
import { lobbyHarness } from "./lobby-harness.ts";

/** How the scenarios get backplanes of one kind on one shared store, and take the store away. */
export interface SharedStoreFixture {
  readonly name: string;
  /** Once per file; throws a sentence saying what is missing when the store cannot be had. */
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** An empty store for the next test. */
  reset(): Promise<void>;
  /**
   * A backplane named `instance` on the shared store, not started (the lobby starts it); `abandon`
   * stops it as a killed process would, leaving what it held to lapse.
   */
  backplane(instance: string, presenceTtlMs?: number): Backplane & { abandon(): void };
  /** The store goes away (connections drop)... */
  stopStore(): Promise<void>;
  /** ...and comes back empty. */
  startStore(): Promise<void>;
}

const LINK = "0c0ffee0";
const NEXT_LINK = "0c0ffee1";
const MiB = 1024 * 1024;
const NOT_KEEPING_UP = "1013 the peer is not keeping up";
/** Long enough for anything crossing the store to have crossed. */
const CROSSING_MS = 5_000;
/** A scenario waits for crossings, and for a grace or an outage to pass. */
const TEST_MS = 30_000;

/**
 * One lobby of two instances on one shared store, each a real `startLobby` on its own port, with
 * nodes on real sockets: what a node on one instance can do with a node on the other.
 */
export function twoInstanceScenarios(fixture: SharedStoreFixture): void {
  describe(`one lobby of two instances: ${fixture.name}`, () => {
    const h = lobbyHarness();
    let n = 0;
    let identity: NodeIdentity;

    beforeAll(async () => {
      await fixture.setup();
      identity = await newIdentity();
    });
    afterAll(() => fixture.teardown());
    beforeEach(() => fixture.reset());

    /** Two instances of one lobby: one identity, one store. */
    async function pair(
      limits: Partial<LobbyLimits> = {},
      presenceTtlMs?: number,
    ): Promise<[RunningLobby, RunningLobby, Backplane & { abandon(): void }]> {
      n += 1;
      const first = fixture.backplane(`one${n}`, presenceTtlMs);
      const one = await h.lobby(limits, { identity, backplane: first });
      const two = await h.lobby(limits, { identity, backplane: fixture.backplane(`two${n}`, presenceTtlMs) });
      return [one, two, first];
    }

    async function listed(peer: LobbyPeer, roomId: string) {
      const deadline = Date.now() + CROSSING_MS;
      for (;;) {
        peer.send({ type: "list_rooms" });
        const { rooms } = await peer.next("rooms");
        const room = rooms.find((r) => r.id === roomId);
        if (room) return room;
        if (Date.now() > deadline) throw new Error(`room ${roomId} not listed within ${CROSSING_MS} ms`);
        await Bun.sleep(100);
      }
    }

    async function health(lobby: RunningLobby): Promise<LobbyHealth> {
      return lobbyHealth.parse(await (await fetch(`${lobby.url}/health`)).json());
    }

    test(
      "both instances are one lobby: one lobby id, told apart by their instance",
      async () => {
        const [one, two] = await pair();
        const [a, b] = [await health(one), await health(two)];
        expect(a.lobby_id).toBe(b.lobby_id);
        expect(a.instance).not.toBe(b.instance);
        expect([a.status, b.status]).toEqual(["ok", "ok"]);
        const peer = await h.node(two);
        expect(peer.challenge).toMatchObject({ lobby_id: one.lobbyId, instance: b.instance });
      },
      TEST_MS,
    );

    test(
      "a node on one instance sees a node on the other in its directory, and sees it go",
      async () => {
        const [one, two] = await pair();
        const a = await h.node(one, { name: "Ada", addresses: ["ws://198.51.100.7:7420/peer-ws"] });
        const b = await h.node(two, { name: "Bob" });
        expect(await a.untilListed(b.id, undefined, CROSSING_MS)).toMatchObject({
          node_id: b.id,
          node_name: "Bob",
          public_key: b.identity.publicKeyBase64,
        });
        await b.untilListed(a.id, undefined, CROSSING_MS);
        // Addresses never reach the directory, on any instance.
        expect(b.texts.join("\n")).not.toContain("198.51.100.7");
        // A node registering later gets the other instance's nodes in its registered frame.
        const c = await h.node(one);
        expect(c.registeredFrame.directory.map((e) => e.node_id).sort()).toEqual([a.id, b.id].sort());
        b.send({ type: "update", node_name: "Robert" });
        await a.untilListed(b.id, (e) => e.node_name === "Robert", CROSSING_MS);
        b.close();
        await a.untilGone(b.id, CROSSING_MS);
        expect(a.othersListed()).toEqual([c.id]);
        expect([one.health().nodes, two.health().nodes]).toEqual([2, 0]);
      },
      TEST_MS,
    );

    test(
      "list_rooms on one instance shows a public room hosted on the other",
      async () => {
        const [one, two] = await pair();
        const host = await h.node(two, { name: "Host" });
        const guest = await h.node(one);
        host.send({ type: "create_room", name: "Across", visibility: "public", policy: "open" });
        const { room } = await host.next("room_created");
        expect(await listed(guest, room.id)).toEqual({
          id: room.id,
          name: "Across",
          host: host.id,
          host_name: "Host",
          members: 1,
          policy: "open",
          visibility: "public",
        });
        expect([one.health().rooms, two.health().rooms]).toEqual([0, 1]);
      },
      TEST_MS,
    );

    test(
      "a node joins a room hosted on the other instance: room_info and peer_joining cross, and so do peer_left and room_closed",
      async () => {
        const [one, two] = await pair();
        const host = await h.node(two, { name: "Host", addresses: ["ws://203.0.113.5:7420/peer-ws"] });
        const guest = await h.node(one, { name: "Guest", addresses: ["ws://203.0.113.9:7420/peer-ws"] });
        host.send({ type: "create_room", name: "Across", visibility: "unlisted", policy: "open" });
        const { room } = await host.next("room_created");
        await guest.untilListed(host.id, undefined, CROSSING_MS);
        guest.send({ type: "join_room", room_id: room.id });
        const info = await guest.next("room_info", CROSSING_MS);
        expect(info.host).toEqual({
          node_id: host.id,
          node_name: "Host",
          public_key: host.identity.publicKeyBase64,
          addresses: ["ws://203.0.113.5:7420/peer-ws"],
        });
        expect(info.room.members).toBe(2);
        expect(await host.next("peer_joining", CROSSING_MS)).toEqual({
          type: "peer_joining",
          room_id: room.id,
          guest: {
            node_id: guest.id,
            node_name: "Guest",
            public_key: guest.identity.publicKeyBase64,
            addresses: ["ws://203.0.113.9:7420/peer-ws"],
          },
        });
        guest.send({ type: "leave_room", room_id: room.id });
        expect(await host.next("peer_left", CROSSING_MS)).toEqual({
          type: "peer_left",
          room_id: room.id,
          node_id: guest.id,
        });
        guest.send({ type: "join_room", room_id: room.id });
        await guest.next("room_info", CROSSING_MS);
        await host.next("peer_joining", CROSSING_MS);
        host.send({ type: "leave_room", room_id: room.id });
        expect(await guest.next("room_closed", CROSSING_MS)).toMatchObject({ room_id: room.id });
        guest.send({ type: "join_room", room_id: room.id });
        expect((await guest.next("error", CROSSING_MS)).code).toBe("no_room");
      },
      TEST_MS,
    );

    test(
      "a token room's token is checked on whichever instance the guest is on",
      async () => {
        const [one, two] = await pair();
        const host = await h.node(one);
        const guest = await h.node(two);
        host.send({ type: "create_room", name: "Members", visibility: "public", policy: "token" });
        const created = await host.next("room_created");
        await guest.untilListed(host.id, undefined, CROSSING_MS);
        guest.send({ type: "join_room", room_id: created.room.id, token: "A".repeat(22) });
        expect(await guest.next("error", CROSSING_MS)).toMatchObject({ code: "denied", re: "join_room" });
        guest.send({ type: "join_room", room_id: created.room.id, token: created.token });
        expect((await guest.next("room_info", CROSSING_MS)).host.node_id).toBe(host.id);
        await host.next("peer_joining", CROSSING_MS);
        // A room id is one lobby's: a host on the other instance cannot take it by restoring it.
        const thief = await h.node(two);
        thief.send({
          type: "create_room",
          name: "Mine",
          visibility: "public",
          policy: "open",
          restore: { room_id: created.room.id },
        });
        expect((await thief.next("error", CROSSING_MS)).code).toBe("denied");
      },
      TEST_MS,
    );

    test(
      "a guest whose instance stops is told to its host as having left",
      async () => {
        const [one, two] = await pair();
        const host = await h.node(two);
        const guest = await h.node(one);
        host.send({ type: "create_room", name: "Room", visibility: "unlisted", policy: "open" });
        const { room } = await host.next("room_created");
        await guest.untilListed(host.id, undefined, CROSSING_MS);
        guest.send({ type: "join_room", room_id: room.id });
        await guest.next("room_info", CROSSING_MS);
        await host.next("peer_joining", CROSSING_MS);
        await one.stop();
        expect(await host.next("peer_left", CROSSING_MS)).toEqual({
          type: "peer_left",
          room_id: room.id,
          node_id: guest.id,
        });
        await host.untilGone(guest.id, CROSSING_MS);
      },
      TEST_MS,
    );

    test(
      "a host's rooms wait for it on any instance, and close when it comes back nowhere",
      async () => {
        const [one, two] = await pair({ hostGraceMs: 600 });
        const hostPeer = await h.node(two);
        const guest = await h.node(one);
        hostPeer.send({ type: "create_room", name: "Kept", visibility: "public", policy: "open" });
        const { room } = await hostPeer.next("room_created");
        await listed(guest, room.id);
        guest.send({ type: "join_room", room_id: room.id });
        await guest.next("room_info", CROSSING_MS);
        hostPeer.close();
        await hostPeer.waitClose();
        // Back on the other instance within its grace: the room stays, joinable through either.
        const back = h.track(await LobbyPeer.connect(one.wsUrl, hostPeer.identity));
        await back.register();
        // It restores its room there, as a node does: that instance holds it now.
        back.send({
          type: "create_room",
          name: "Kept",
          visibility: "public",
          policy: "open",
          restore: { room_id: room.id },
        });
        expect((await back.next("room_created", CROSSING_MS)).room).toMatchObject({
          id: room.id,
          members: 2,
        });
        await Bun.sleep(900);
        expect(await guest.gets("room_closed", 100)).toBe(false);
        expect([one.health().rooms, two.health().rooms]).toEqual([1, 0]);
        const late = await h.node(two);
        late.send({ type: "join_room", room_id: room.id });
        expect((await late.next("room_info", CROSSING_MS)).host.node_id).toBe(hostPeer.id);
        expect((await back.next("peer_joining", CROSSING_MS)).guest.node_id).toBe(late.id);

        back.close();
        expect((await guest.next("room_closed", CROSSING_MS)).room_id).toBe(room.id);
        expect((await late.next("room_closed", CROSSING_MS)).room_id).toBe(room.id);
        expect([one.health().rooms, two.health().rooms]).toEqual([0, 0]);
      },
      TEST_MS,
    );

    test(
      "signals and relayed frames cross instances from their true sender, in order and unchanged",
      async () => {
        const [one, two] = await pair();
        const a = await h.node(one);
        const b = await h.node(two);
        await a.untilListed(b.id, undefined, CROSSING_MS);
        await b.untilListed(a.id, undefined, CROSSING_MS);
        a.send({ type: "signal", to: b.id, data: { sdp: "offer", n: [1, 2] } });
        expect(await b.next("signal", CROSSING_MS)).toEqual({
          type: "signal",
          from: a.id,
          data: { sdp: "offer", n: [1, 2] },
        });
        b.send({ type: "signal", to: a.id, data: "answer" });
        expect((await a.next("signal", CROSSING_MS)).from).toBe(b.id);

        a.send({ type: "relay_open", to: b.id, link: LINK });
        expect(await b.next("relay_open", CROSSING_MS)).toEqual({
          type: "relay_open",
          from: a.id,
          link: LINK,
        });
        b.send({ type: "relay", to: a.id, link: LINK, frame: '{"sealed":"x"}' });
        expect(await a.next("relay", CROSSING_MS)).toEqual({
          type: "relay",
          from: b.id,
          link: LINK,
          frame: '{"sealed":"x"}',
        });
        const payload = Uint8Array.from({ length: 1024 }, (_, i) => i % 251);
        a.sendRaw(writeRelayBinary(b.id, LINK, payload));
        for (let i = 0; i < 50; i++) a.sendRaw(writeRelayBinary(b.id, LINK, Uint8Array.of(i)));
        a.send({ type: "relay_end", to: b.id, link: LINK, reason: "1000 done" });
        await b.next("relay_end", CROSSING_MS);
        const first = readRelayBinary(b.binaries[0]!);
        expect([first.peer, first.link]).toEqual([a.id, LINK]);
        expect(Buffer.from(first.frame).equals(Buffer.from(payload))).toBe(true);
        expect(b.binaries.slice(1).map((f) => readRelayBinary(f).frame[0])).toEqual([...Array(50).keys()]);
        const relayed = b.sequence.filter((t) => t === "binary" || t.startsWith("relay"));
        expect(relayed).toEqual(["relay_open", ...Array(51).fill("binary"), "relay_end"]);
      },
      TEST_MS,
    );

    test(
      "a signal or relayed frame for a node no instance holds is undeliverable",
      async () => {
        const [one, two] = await pair();
        const a = await h.node(one);
        const b = await h.node(two);
        await a.untilListed(b.id, undefined, CROSSING_MS);
        b.close();
        await a.untilGone(b.id, CROSSING_MS);
        a.send({ type: "signal", to: b.id, data: 1 });
        expect(await a.next("undeliverable", CROSSING_MS)).toEqual({ type: "undeliverable", to: b.id });
        a.sendRaw(writeRelayBinary(b.id, LINK, Uint8Array.of(1)));
        expect(await a.next("undeliverable", CROSSING_MS)).toEqual({
          type: "undeliverable",
          to: b.id,
          link: LINK,
        });
      },
      TEST_MS,
    );

    test(
      "a node registered on both instances keeps only the newest registration",
      async () => {
        const [one, two] = await pair();
        const watcher = await h.node(one);
        const key = await newIdentity();
        const first = h.track(await LobbyPeer.connect(one.wsUrl, key));
        await first.register();
        await watcher.untilListed(key.nodeId);
        const before = watcher.changesAbout(key.nodeId).length;
        const second = h.track(await LobbyPeer.connect(two.wsUrl, key));
        await second.register({ name: "moved" });
        expect((await first.next("goodbye", CROSSING_MS)).reason).toBe("replaced");
        expect(await first.waitClose(CROSSING_MS)).toEqual({ code: 4000, reason: "replaced" });
        expect([one.health().nodes, two.health().nodes]).toEqual([1, 1]);
        // Frames for it go to the newest socket, and the others see it moved, never gone.
        watcher.send({ type: "signal", to: key.nodeId, data: "where are you" });
        expect((await second.next("signal", CROSSING_MS)).from).toBe(watcher.id);
        await watcher.untilListed(key.nodeId, (e) => e.node_name === "moved", CROSSING_MS);
        expect(
          watcher
            .changesAbout(key.nodeId)
            .slice(before)
            .every((c) => c.listed !== null),
        ).toBe(true);
        // And back again: the newest is the one on the first instance.
        const third = h.track(await LobbyPeer.connect(one.wsUrl, key));
        await third.register({ name: "back" });
        expect(await second.waitClose(CROSSING_MS)).toEqual({ code: 4000, reason: "replaced" });
        watcher.send({ type: "signal", to: key.nodeId, data: "here?" });
        expect((await third.next("signal", CROSSING_MS)).data).toBe("here?");
        expect([one.health().nodes, two.health().nodes]).toEqual([2, 0]);
      },
      TEST_MS,
    );

    test(
      "an instance that dies takes its nodes out of the other's directory and rooms within the presence TTL",
      async () => {
        const ttl = 1_000;
        const [one, two, oneBackplane] = await pair({}, ttl);
        const a = await h.node(one);
        const b = await h.node(two);
        b.send({ type: "create_room", name: "Stays", visibility: "unlisted", policy: "open" });
        const { room } = await b.next("room_created");
        await a.untilListed(b.id, undefined, CROSSING_MS);
        a.send({ type: "join_room", room_id: room.id });
        await a.next("room_info", CROSSING_MS);
        await b.next("peer_joining", CROSSING_MS);
        await b.untilListed(a.id, undefined, CROSSING_MS);
        // As kill -9 would leave it: no goodbye, no more refreshes (the sockets here are not the point).
        oneBackplane.abandon();
        const killed = Date.now();
        await b.untilGone(a.id, ttl + CROSSING_MS);
        expect(Date.now() - killed).toBeLessThan(ttl + 500);
        // Its place in the room went with it: the host is told, within the TTL too.
        expect(await b.next("peer_left", ttl + CROSSING_MS)).toEqual({
          type: "peer_left",
          room_id: room.id,
          node_id: a.id,
        });
        expect(Date.now() - killed).toBeLessThan(2 * ttl);
        // The node comes back through the live instance, as a node's client reconnects.
        const again = h.track(await LobbyPeer.connect(two.wsUrl, a.identity));
        await again.register();
        await b.untilListed(a.id, undefined, CROSSING_MS);
        b.send({ type: "signal", to: a.id, data: "back" });
        expect((await again.next("signal")).from).toBe(b.id);
      },
      TEST_MS,
    );

    test(
      "a room that dies with its instance is closed to its guests on the other within the TTL, and each close is told once",
      async () => {
        const ttl = 1_000;
        const [one, two, oneBackplane] = await pair({}, ttl);
        const host = await h.node(one);
        const guest = await h.node(two);
        const rooms: string[] = [];
        for (const name of ["Lapses", "Closed"]) {
          host.send({ type: "create_room", name, visibility: "unlisted", policy: "open" });
          rooms.push((await host.next("room_created")).room.id);
        }
        const [lapses, closed] = rooms as [string, string];
        for (const id of rooms) {
          guest.send({ type: "join_room", room_id: id });
          await guest.next("room_info", CROSSING_MS);
          await host.next("peer_joining", CROSSING_MS);
        }
        host.send({ type: "leave_room", room_id: closed });
        expect(await guest.next("room_closed", CROSSING_MS)).toMatchObject({ room_id: closed });
        oneBackplane.abandon();
        const killed = Date.now();
        expect(await guest.next("room_closed", 2 * ttl + CROSSING_MS)).toEqual({
          type: "room_closed",
          room_id: lapses,
          reason: "the room's host is gone",
        });
        expect(Date.now() - killed).toBeLessThan(2 * ttl);
        // Some refreshes later nothing more is told: neither room is closed twice.
        await Bun.sleep(ttl);
        const closes = guest.texts.filter((t) => t.includes('"type":"room_closed"'));
        expect(closes.map((t) => JSON.parse(t).room_id)).toEqual([closed, lapses]);
        guest.send({ type: "join_room", room_id: lapses });
        expect((await guest.next("error", CROSSING_MS)).code).toBe("no_room");
      },
      TEST_MS,
    );

    test(
      "how often a node registers is counted on both instances together",
      async () => {
        const [one, two] = await pair({ registrationsPerMinute: 3 });
        const key = await newIdentity();
        for (const lobby of [one, two, one]) {
          const peer = h.track(await LobbyPeer.connect(lobby.wsUrl, key));
          await peer.register();
        }
        const fourth = h.track(await LobbyPeer.connect(two.wsUrl, key));
        fourth.send(fourth.registerFrame());
        expect(await fourth.next("error", CROSSING_MS)).toMatchObject({ code: "limit", re: "register" });
        expect((await fourth.waitClose(CROSSING_MS)).code).toBe(1013);
        // Refused, it took nothing: the newest registration still stands.
        expect([one.health().nodes, two.health().nodes]).toEqual([1, 0]);
        // Another node's count is its own.
        await h.node(two);
      },
      TEST_MS,
    );

    test(
      "a relayed link whose receiver on the other instance does not keep up is ended at both ends",
      async () => {
        const [one, two] = await pair({
          sendBufferBytes: 2 * MiB,
          relayBytesPerSec: 1024 * MiB,
          relayBytesBurst: 1024 * MiB,
          relayFramesPerSec: 100_000,
          relayFramesBurst: 100_000,
        });
        const sender = await h.node(one);
        const stalled = await RawLobbySocket.open(two.port);
        const stalledId = await newIdentity();
        await stalled.register(stalledId);
        // Unlisted: a signal that arrives shows the sender's instance knows where it is.
        await until(async () => {
          sender.send({ type: "signal", to: stalledId.nodeId, data: "there?" });
          await Bun.sleep(100);
          return stalled.texts.some((t) => t.includes('"signal"'));
        }, "a signal to the receiver");
        stalled.stopReading();
        const frame = writeRelayBinary(stalledId.nodeId, LINK, new Uint8Array(256 * 1024));
        for (let i = 0; i < 400 && sender.pending("relay_end").length === 0; i++) {
          sender.sendRaw(frame);
          if (i % 8 === 7) await Bun.sleep(5);
        }
        expect(await sender.next("relay_end", CROSSING_MS)).toEqual({
          type: "relay_end",
          from: stalledId.nodeId,
          link: LINK,
          reason: NOT_KEEPING_UP,
        });
        expect(two.counters()).toMatchObject({ sendBufferCloses: 0 });
        expect(two.health().nodes).toBe(1);
        // A new link between the two goes through once the receiver reads again.
        stalled.resumeReading();
        sender.send({ type: "relay_open", to: stalledId.nodeId, link: NEXT_LINK });
        sender.send({ type: "signal", to: stalledId.nodeId, data: "still here?" });
        await stalled.until(
          () => stalled.texts.some((t) => t.includes("still here?")),
          "the signal",
          CROSSING_MS,
        );
        expect(stalled.texts.some((t) => t.includes('"relay_end"') && t.includes(NOT_KEEPING_UP))).toBe(true);
        expect(stalled.texts.some((t) => t.includes('"relay_open"') && t.includes(NEXT_LINK))).toBe(true);
        expect(stalled.closed).toBe(false);
        stalled.destroy();
      },
      TEST_MS,
    );

    test(
      "while the shared store is away an instance is degraded and serves its own nodes; back, it is one lobby again",
      async () => {
        const [one, two] = await pair();
        const a = await h.node(one);
        const local = await h.node(one);
        const b = await h.node(two);
        await a.untilListed(b.id, undefined, CROSSING_MS);
        await fixture.stopStore();
        try {
          await until(async () => (await health(one)).status === "degraded", "degraded");
          expect(await (await fetch(`${one.url}/`)).text()).toContain("degraded");
          // Nodes on one instance still reach each other, and new ones still register.
          a.send({ type: "signal", to: local.id, data: "local" });
          expect((await local.next("signal", CROSSING_MS)).from).toBe(a.id);
          const late = await h.node(one);
          expect(late.registeredFrame.session.length).toBeGreaterThan(0);
          // What needs the store says so rather than hanging.
          a.send({ type: "create_room", name: "Later", visibility: "public", policy: "open" });
          expect(await a.next("error", CROSSING_MS)).toMatchObject({ code: "limit", re: "create_room" });
        } finally {
          await fixture.startStore();
        }
        await until(
          async () => (await health(one)).status === "ok" && (await health(two)).status === "ok",
          "ok again",
          15_000,
        );
        // Each instance published its nodes again: frames cross once more (the one that came back
        // first may hear of the other's nodes a moment after both are ok).
        await until(async () => {
          a.send({ type: "signal", to: b.id, data: "across again" });
          return b.gets("signal", 300);
        }, "a signal across");
        a.send({ type: "create_room", name: "Now", visibility: "public", policy: "open" });
        const { room } = await a.next("room_created", CROSSING_MS);
        expect((await listed(b, room.id)).host).toBe(a.id);
      },
      TEST_MS,
    );
  });
}

async function until(check: () => Promise<boolean>, what: string, ms = CROSSING_MS): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}
