import { describe, expect, test } from "bun:test";
import type { RunningNode } from "../../../server/node.ts";
import { chatTab } from "../../helpers/chat-tab.ts";
import { hostRoom, type LobbyNodeOptions, lobbyEvent, lobbyNodes } from "../../helpers/lobby-nodes.ts";
import { eventually, peerRow } from "../../helpers/peer-nodes.ts";

const setup = lobbyNodes();

/** Two nodes that cannot reach each other directly (direct links off), both on one lobby. */
const twoNodesOnALobby = (opts: { hostSettings?: Record<string, unknown> } = {}) =>
  setup.twoNodesOnALobby({ host: { settings: opts.hostSettings } satisfies LobbyNodeOptions });

/** `a` lists `b` as connected over `transport`, and `b` lists `a` as connected. */
const connectedOver = (a: RunningNode, b: RunningNode, transport: string) =>
  peerRow(a, b.identity.nodeId)?.status === "connected" &&
  peerRow(a, b.identity.nodeId)?.transport === transport &&
  peerRow(b, a.identity.nodeId)?.status === "connected";

describe("joining a lobby room", () => {
  test("a token room's guest reaches a host it cannot dial, over the relay, and both remember the pairing", async () => {
    const { host, guest } = await twoNodesOnALobby();
    const room = await hostRoom(host.tab, "token");
    expect(room.token).toMatch(/^[A-Za-z0-9_-]{22}$/);
    guest.tab.send({ channel: "lobby", event: "join_room", data: { room_id: room.id, token: room.token } });
    await guest.tab.next(
      lobbyEvent("join_progress", (d) => d.step === "connected"),
      8000,
    );
    await eventually(() => connectedOver(guest.node, host.node, "relay"), "a relayed link", 5000);
    const row = peerRow(guest.node, host.node.identity.nodeId)!;
    expect(row.via).toBe("room");
    expect(row.path_reason).toMatch(/^relayed: /);
    expect(peerRow(host.node, guest.node.identity.nodeId)!.via).toBe("room");
    const steps = guest.tab.frames
      .filter(lobbyEvent("join_progress"))
      .map((f) => (f.data as { step: string }).step);
    expect(steps).toEqual(["joining", "room_info", "relay", "connected"]);
  }, 20_000);

  test("chat crosses the relay both ways", async () => {
    const { host, guest } = await twoNodesOnALobby();
    const room = await hostRoom(host.tab, "token");
    guest.tab.send({ channel: "lobby", event: "join_room", data: { room_id: room.id, token: room.token } });
    await eventually(() => connectedOver(guest.node, host.node, "relay"), "a relayed link", 8000);
    const a = await chatTab(guest.node.port);
    const b = await chatTab(host.node.port);
    await a.open(host.node.identity.nodeId);
    await b.open(guest.node.identity.nodeId);
    a.send(host.node.identity.nodeId, "hello through the lobby");
    await eventually(
      () => b.messages().some((m) => m.text === "hello through the lobby"),
      "the message",
      5000,
    );
    b.send(guest.node.identity.nodeId, "and back");
    await eventually(() => a.messages().some((m) => m.text === "and back"), "the reply", 5000);
  }, 20_000);

  test("a token room refuses a guest with the wrong token at the lobby", async () => {
    const { host, guest } = await twoNodesOnALobby();
    const room = await hostRoom(host.tab, "token");
    guest.tab.send({
      channel: "lobby",
      event: "join_room",
      data: { room_id: room.id, token: "A".repeat(22) },
    });
    const failed = await guest.tab.next(
      lobbyEvent("join_progress", (d) => d.step === "failed"),
      3000,
    );
    expect((failed.data as { error: string }).error).toMatch(/token|denied/i);
    expect(peerRow(guest.node, host.node.identity.nodeId)).toBeUndefined();
  }, 15_000);

  test("an open room asks the host's person, and Accept links the two over the relay", async () => {
    const { host, guest } = await twoNodesOnALobby();
    const room = await hostRoom(host.tab, "open");
    guest.tab.send({ channel: "lobby", event: "join_room", data: { room_id: room.id } });
    await guest.tab.next(
      lobbyEvent("join_progress", (d) => d.step === "waiting_for_host"),
      3000,
    );
    const request = await host.tab.next(lobbyEvent("join_request"), 3000);
    expect((request.data as { guest: { node_id: string } }).guest.node_id).toBe(guest.node.identity.nodeId);
    host.tab.send({
      channel: "lobby",
      event: "accept",
      data: { room_id: room.id, node_id: guest.node.identity.nodeId },
    });
    await guest.tab.next(
      lobbyEvent("join_progress", (d) => d.step === "connected"),
      8000,
    );
    await eventually(() => connectedOver(host.node, guest.node, "relay"), "a relayed link", 5000);
    expect(peerRow(guest.node, host.node.identity.nodeId)!.via).toBe("room");
  }, 20_000);

  test("Decline tells the guest, and nobody is paired", async () => {
    const { host, guest } = await twoNodesOnALobby();
    const room = await hostRoom(host.tab, "open");
    guest.tab.send({ channel: "lobby", event: "join_room", data: { room_id: room.id } });
    await host.tab.next(lobbyEvent("join_request"), 3000);
    host.tab.send({
      channel: "lobby",
      event: "decline",
      data: { room_id: room.id, node_id: guest.node.identity.nodeId },
    });
    const failed = await guest.tab.next(
      lobbyEvent("join_progress", (d) => d.step === "failed"),
      3000,
    );
    expect((failed.data as { error: string }).error).toContain("declined");
    expect(peerRow(host.node, guest.node.identity.nodeId)).toBeUndefined();
  }, 15_000);

  test("in the directory trust mode an open room's guest is admitted without asking", async () => {
    const { host, guest } = await twoNodesOnALobby({ hostSettings: { "network.trustMode": "directory" } });
    const room = await hostRoom(host.tab, "open");
    guest.tab.send({ channel: "lobby", event: "join_room", data: { room_id: room.id } });
    await guest.tab.next(
      lobbyEvent("join_progress", (d) => d.step === "connected"),
      8000,
    );
    expect(host.tab.frames.some(lobbyEvent("join_request"))).toBe(false);
    await eventually(() => connectedOver(host.node, guest.node, "relay"), "a relayed link", 5000);
    expect(peerRow(host.node, guest.node.identity.nodeId)!.via).toBe("room");
  }, 20_000);
});
