import { describe, expect, test } from "bun:test";
import { readRelayBinary, writeRelayBinary } from "../../protocol/lobby.ts";
import { LobbyPeer, newIdentity } from "../helpers/lobby-peer.ts";
import {
  CROSSING_MS,
  LINK,
  type SharedStoreFixture,
  TEST_MS,
  twoInstanceHarness,
} from "./two-instances-harness.ts";

export type { SharedStoreFixture } from "./two-instances-harness.ts";

/**
 * One lobby of two instances on one shared store, each a real `startLobby` on its own port, with
 * nodes on real sockets: what a node on one instance can do with a node on the other. What an
 * instance's or the store's failure does is in `two-instances-failures.ts`.
 */
export function twoInstanceScenarios(fixture: SharedStoreFixture): void {
  describe(`one lobby of two instances: ${fixture.name}`, () => {
    const { h, pair, listed, health } = twoInstanceHarness(fixture, "s");

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
  });
}
