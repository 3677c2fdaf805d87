import { describe, expect, test } from "bun:test";
import { busyPair } from "../../helpers/busy-peers.ts";
import {
  connectedOver,
  hostRoom,
  lobbyEvent,
  lobbyNodes,
  pairThroughTokenRoom,
} from "../../helpers/lobby-nodes.ts";
import { eventually, peerRow } from "../../helpers/peer-nodes.ts";

/**
 * Two nodes that cannot dial each other directly but share a lobby: WebRTC is the path before the
 * relay, a relayed link moves to it when it becomes possible, and a WebRTC link moves to a direct
 * one in turn, each switch with nothing anyone was doing lost or doubled.
 */

const setup = lobbyNodes();
const WEBRTC_ON = { "network.enableWebRtc": true };
const FAST_UPGRADES = { upgradeIntervalMs: 300 };

describe("WebRTC in the path choice", () => {
  test("a token room's guest and host with no direct path link peer to peer, not through the relay", async () => {
    const { host, guest } = await setup.twoNodesOnALobby({
      host: { settings: WEBRTC_ON },
      guest: { settings: WEBRTC_ON },
    });
    const room = await hostRoom(host.tab, "token");
    guest.tab.send({ channel: "lobby", event: "join_room", data: { room_id: room.id, token: room.token } });
    const done = await guest.tab.next(
      lobbyEvent("join_progress", (d) => d.room_id === room.id && d.step === "connected"),
      10_000,
    );
    expect((done.data as { transport: string }).transport).toBe("webrtc");
    await eventually(() => connectedOver(guest.node, host.node, "webrtc"), "a WebRTC link both ways", 5000);
    const steps = guest.tab.frames
      .filter(lobbyEvent("join_progress"))
      .map((f) => (f.data as { step: string }).step);
    expect(steps).toEqual(["joining", "room_info", "webrtc", "connected"]);
    // The row says which candidates ICE chose: on one machine, straight between the two, no TURN.
    expect(peerRow(guest.node, host.node.identity.nodeId)?.path_reason).toMatch(
      /^webrtc: (host|prflx|srflx) \S+ -> (host|prflx|srflx) \S+$/,
    );
    expect(peerRow(host.node, guest.node.identity.nodeId)?.via).toBe("room");
  }, 20_000);

  test("a relayed link moves to WebRTC once it is turned on, and no message or keystroke is lost or doubled", async () => {
    const { host, guest } = await setup.twoNodesOnALobby({
      host: { config: FAST_UPGRADES },
      guest: { config: FAST_UPGRADES },
    });
    await pairThroughTokenRoom(host, guest);
    const busy = await busyPair(host, guest);
    await Bun.sleep(300);
    expect(connectedOver(host.node, guest.node, "relay")).toBe(true);
    const relayed = busy.sent();

    host.node.settings.update(WEBRTC_ON);
    guest.node.settings.update(WEBRTC_ON);
    await eventually(
      () => connectedOver(host.node, guest.node, "webrtc"),
      "the link to move to WebRTC",
      8000,
    );
    const beforeSwitch = busy.sent();
    await Bun.sleep(300);
    const { guestSent, hostSent } = await busy.finish();
    expect(Math.min(...relayed)).toBeGreaterThan(0);
    expect(guestSent.length).toBeGreaterThan(beforeSwitch[0]);
    expect(hostSent.length).toBeGreaterThan(beforeSwitch[1]);
  }, 30_000);

  test("a WebRTC link moves to a direct one when direct paths open, with nothing lost", async () => {
    const { host, guest } = await setup.twoNodesOnALobby({
      host: { settings: WEBRTC_ON, config: FAST_UPGRADES },
      guest: { settings: WEBRTC_ON, config: FAST_UPGRADES },
    });
    const room = await hostRoom(host.tab, "token");
    guest.tab.send({ channel: "lobby", event: "join_room", data: { room_id: room.id, token: room.token } });
    await eventually(() => connectedOver(guest.node, host.node, "webrtc"), "a WebRTC link", 10_000);
    const busy = await busyPair(host, guest);
    await Bun.sleep(300);
    const onWebRtc = busy.sent();

    host.node.settings.update({ "network.enableDirect": true });
    guest.node.settings.update({ "network.enableDirect": true });
    await eventually(() => connectedOver(host.node, guest.node, "direct"), "the link to go direct", 8000);
    const beforeSwitch = busy.sent();
    await Bun.sleep(300);
    const { guestSent, hostSent } = await busy.finish();
    expect(Math.min(...onWebRtc)).toBeGreaterThan(0);
    expect(guestSent.length).toBeGreaterThan(beforeSwitch[0]);
    expect(hostSent.length).toBeGreaterThan(beforeSwitch[1]);
  }, 30_000);
});
