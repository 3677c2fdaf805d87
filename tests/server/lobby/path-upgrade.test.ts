import { describe, expect, test } from "bun:test";
import type { RunningNode } from "../../../server/node.ts";
import { chatTab } from "../../helpers/chat-tab.ts";
import { type CollabTab, collabTab } from "../../helpers/collab-tab.ts";
import {
  connectedOver,
  hostRoom,
  lobbyEvent,
  lobbyNodes,
  lobbyStatusOf,
  pairThroughTokenRoom,
  receivedTexts,
} from "../../helpers/lobby-nodes.ts";
import { eventually, mintInvite, pair, peerRow } from "../../helpers/peer-nodes.ts";

/**
 * A relayed link moves to a direct one when a direct path appears, and nothing anyone was doing
 * at that moment is lost or doubled: chat messages arrive once each and in order, and every
 * keystroke of both typists is in both copies of the shared note.
 */

const setup = lobbyNodes();
const ROOM = "scratch:main";
const FAST_UPGRADES = { upgradeIntervalMs: 300 };

/** Types `[<who><n>]` at the end of the note every few ms until stopped; returns what it typed. */
function typist(tab: CollabTab, who: string): { stop(): string[] } {
  const typed: string[] = [];
  const timer = setInterval(() => {
    const word = `[${who}${typed.length}]`;
    typed.push(word);
    tab.insert(tab.text().length, word);
  }, 4);
  return {
    stop() {
      clearInterval(timer);
      return typed;
    },
  };
}

/** Sends numbered messages every few ms until stopped; returns their texts in order. */
function chatter(send: (text: string) => void, who: string): { sent: string[]; stop(): string[] } {
  const sent: string[] = [];
  const timer = setInterval(() => {
    const text = `${who} message ${sent.length}`;
    sent.push(text);
    send(text);
  }, 6);
  return {
    sent,
    stop() {
      clearInterval(timer);
      return sent;
    },
  };
}

/** How many times `word` occurs in `text`. */
const count = (text: string, word: string) => text.split(word).length - 1;

describe("relay to direct", () => {
  test("a relayed link becomes direct when direct paths open, and no message or keystroke is lost or doubled", async () => {
    const { host, guest } = await setup.twoNodesOnALobby({
      host: { config: FAST_UPGRADES },
      guest: { config: FAST_UPGRADES },
    });
    await pairThroughTokenRoom(host, guest);
    const hostId = host.node.identity.nodeId;
    const guestId = guest.node.identity.nodeId;

    const owner = await collabTab(host.node.port, ROOM);
    owner.share(guestId);
    const address = `${ROOM}@${hostId}`;
    await eventually(() => guest.node.collab.room(address) !== undefined, "the share", 5000);
    const opened = await collabTab(guest.node.port, address);
    const a = await chatTab(guest.node.port);
    const b = await chatTab(host.node.port);

    const typing = [typist(owner, "h"), typist(opened, "g")];
    const talking = [chatter((t) => a.send(hostId, t), "guest"), chatter((t) => b.send(guestId, t), "host")];
    await Bun.sleep(300);
    expect(connectedOver(host.node, guest.node, "relay")).toBe(true);
    const sentRelayed = talking.map((t) => t.sent.length);

    host.node.settings.update({ "network.enableDirect": true });
    guest.node.settings.update({ "network.enableDirect": true });
    await eventually(() => connectedOver(host.node, guest.node, "direct"), "the link to go direct", 5000);
    const sentBeforeDirect = talking.map((t) => t.sent.length);
    await Bun.sleep(300); // keep going for a while on the direct link
    const [hostTyped, guestTyped] = typing.map((t) => t.stop()) as [string[], string[]];
    const [guestSent, hostSent] = talking.map((t) => t.stop()) as [string[], string[]];

    expect(peerRow(host.node, guestId)?.path_reason).toBe("direct");
    expect(peerRow(guest.node, hostId)?.path_reason).toBe("direct");

    await eventually(
      () =>
        owner.text() === opened.text() &&
        owner.text().length === [...hostTyped, ...guestTyped].join("").length,
      "both copies of the note to hold every keystroke",
      8000,
    );
    const text = owner.text();
    const missing = [...hostTyped, ...guestTyped].filter((w) => count(text, w) !== 1);
    expect(missing).toEqual([]);
    // Each typist's words stay in the order typed.
    for (const words of [hostTyped, guestTyped]) {
      const at = words.map((w) => text.indexOf(w));
      expect(at).toEqual([...at].sort((x, y) => x - y));
    }

    const allArrived = async () =>
      (await receivedTexts(host.node, guest.node)).length >= guestSent.length &&
      (await receivedTexts(guest.node, host.node)).length >= hostSent.length;
    const deadline = Date.now() + 8000;
    while (!(await allArrived()) && Date.now() < deadline) await Bun.sleep(50);
    await Bun.sleep(300); // a resend that doubled a message would land right behind
    expect(await receivedTexts(host.node, guest.node)).toEqual(guestSent);
    expect(await receivedTexts(guest.node, host.node)).toEqual(hostSent);
    // Messages went out over the relay, across the switch and over the direct link.
    expect(Math.min(...sentRelayed)).toBeGreaterThan(0);
    expect(guestSent.length).toBeGreaterThan(sentBeforeDirect[0]!);
    expect(hostSent.length).toBeGreaterThan(sentBeforeDirect[1]!);
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
