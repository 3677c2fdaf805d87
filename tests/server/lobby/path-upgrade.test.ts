import { describe, expect, test } from "bun:test";
import type { RunningNode } from "../../../server/node.ts";
import { busyPair } from "../../helpers/busy-peers.ts";
import { chatTab } from "../../helpers/chat-tab.ts";
import {
  connectedOver,
  hostRoom,
  lobbyEvent,
  lobbyNodes,
  lobbyStatusOf,
  pairThroughTokenRoom,
} from "../../helpers/lobby-nodes.ts";
import { eventually, mintInvite, pair, peerRow } from "../../helpers/peer-nodes.ts";

/**
 * A relayed link moves to a direct one when a direct path appears, and nothing anyone was doing
 * at that moment is lost or doubled: chat messages arrive once each and in order, and every
 * keystroke of both typists is in both copies of the shared note.
 */

const setup = lobbyNodes();
const FAST_UPGRADES = { upgradeIntervalMs: 300 };

describe("relay to direct", () => {
  test("a relayed link becomes direct when direct paths open, and no message or keystroke is lost or doubled", async () => {
    const { host, guest } = await setup.twoNodesOnALobby({
      host: { config: FAST_UPGRADES },
      guest: { config: FAST_UPGRADES },
    });
    await pairThroughTokenRoom(host, guest);
    const hostId = host.node.identity.nodeId;
    const guestId = guest.node.identity.nodeId;

    const busy = await busyPair(host, guest);
    await Bun.sleep(300);
    expect(connectedOver(host.node, guest.node, "relay")).toBe(true);
    const sentRelayed = busy.sent();

    host.node.settings.update({ "network.enableDirect": true });
    guest.node.settings.update({ "network.enableDirect": true });
    await eventually(() => connectedOver(host.node, guest.node, "direct"), "the link to go direct", 5000);
    const sentBeforeDirect = busy.sent();
    await Bun.sleep(300); // keep going for a while on the direct link
    expect(peerRow(host.node, guestId)?.path_reason).toBe("direct");
    expect(peerRow(guest.node, hostId)?.path_reason).toBe("direct");
    const { guestSent, hostSent } = await busy.finish();
    // Messages went out over the relay, across the switch and over the direct link.
    expect(Math.min(...sentRelayed)).toBeGreaterThan(0);
    expect(guestSent.length).toBeGreaterThan(sentBeforeDirect[0]);
    expect(hostSent.length).toBeGreaterThan(sentBeforeDirect[1]);
  }, 30_000);

  test("a known peer whose direct address is dead is reached through the lobby after both restart, with no new invite", async () => {
    const lobby = await setup.lobbies.lobby();
    const direct = { settings: { "network.enableDirect": true } };
    const first = await setup.onLobby(lobby.wsUrl, direct);
    const second = await setup.onLobby(lobby.wsUrl, direct);
    expect((await pair(second.node, await mintInvite(first.node))).body.ok).toBe(true);
    await eventually(() => connectedOver(first.node, second.node, "direct"), "a direct link");

    // Both go away; when they come back, direct links are off, so the address each stored is dead.
    const dirs = [first.node.dataDir, second.node.dataDir] as const;
    for (const n of [first.node, second.node]) {
      n.settings.update({ "network.enableDirect": false });
      await setup.nodes.stop(n);
    }
    const restart = (dataDir: string): Promise<RunningNode> => setup.nodes.start({ dataDir });
    const [one, two] = [await restart(dirs[0]), await restart(dirs[1])];
    await eventually(
      () => lobbyStatusOf(one) === "connected" && lobbyStatusOf(two) === "connected",
      "both back on the lobby by themselves",
      5000,
    );
    await eventually(() => connectedOver(one, two, "relay"), "the pair to relink over the relay", 10_000);
    expect(peerRow(one, two.identity.nodeId)?.trusted).toBe(true);

    const a = await chatTab(two.port);
    a.send(one.identity.nodeId, "still here, through the lobby");
    await eventually(
      () =>
        one.chat
          .page(two.identity.nodeId, 10)
          .messages.some((m) => m.text === "still here, through the lobby"),
      "the message",
      5000,
    );
  }, 30_000);

  test("a host that turns direct links on is joined directly: the lobby hears its addresses", async () => {
    const lobby = await setup.lobbies.lobby();
    const host = await setup.onLobby(lobby.wsUrl);
    const guest = await setup.onLobby(lobby.wsUrl, { settings: { "network.enableDirect": true } });
    host.node.settings.update({ "network.enableDirect": true });
    const room = await hostRoom(host.tab, "token");
    guest.tab.send({ channel: "lobby", event: "join_room", data: { room_id: room.id, token: room.token } });
    const done = await guest.tab.next(
      lobbyEvent("join_progress", (d) => d.room_id === room.id && d.step === "connected"),
      8000,
    );
    expect((done.data as { transport: string }).transport).toBe("direct");
    const steps = guest.tab.frames
      .filter(lobbyEvent("join_progress", (d) => d.room_id === room.id))
      .map((f) => (f.data as { step: string }).step);
    expect(steps).toEqual(["joining", "room_info", "dialing_direct", "connected"]);
  }, 20_000);
});
