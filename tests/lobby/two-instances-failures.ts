import { describe, expect, test } from "bun:test";
import { writeRelayBinary } from "../../protocol/lobby.ts";
import { LobbyPeer, newIdentity } from "../helpers/lobby-peer.ts";
import { RawLobbySocket } from "../helpers/raw-lobby-socket.ts";
import {
  CROSSING_MS,
  LINK,
  MiB,
  NEXT_LINK,
  NOT_KEEPING_UP,
  type SharedStoreFixture,
  TEST_MS,
  twoInstanceHarness,
  until,
} from "./two-instances-harness.ts";

/**
 * One lobby of two instances on one shared store when something fails or pushes back: an
 * instance that dies, a node that registers too often across both, a receiver that does not keep
 * up, and the store itself going away and coming back.
 */
export function twoInstanceFailures(fixture: SharedStoreFixture): void {
  describe(`one lobby of two instances, under failure: ${fixture.name}`, () => {
    const { h, pair, listed, health } = twoInstanceHarness(fixture, "f");

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
