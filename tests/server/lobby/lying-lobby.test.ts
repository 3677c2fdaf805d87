import { afterEach, describe, expect, test } from "bun:test";
import type { AuditEntry } from "../../../protocol/network.ts";
import { type FakeLobby, type FakeLobbyLies, startFakeLobby } from "../../helpers/fake-lobby.ts";
import { testIdentity } from "../../helpers/lobby.ts";
import { hostRoom, type LobbyNode, lobbyEvent, lobbyNodes } from "../../helpers/lobby-nodes.ts";
import { eventually, peerRow } from "../../helpers/peer-nodes.ts";

/**
 * A lobby that lies: it admits every join whatever the token, and may name other keys than the
 * ones the nodes registered with. Whatever it says, nobody is admitted on the host's behalf: the
 * host checks the token itself, and the key it pins is the one the lobby named for that join.
 */

const setup = lobbyNodes();
const fakes: FakeLobby[] = [];
afterEach(async () => {
  for (const f of fakes.splice(0)) await f.stop();
});

async function onLiar(lies: FakeLobbyLies = {}) {
  const fake = await startFakeLobby(lies);
  fakes.push(fake);
  const { host, guest } = await setup.twoNodesOnALobby({ url: fake.wsUrl });
  return { fake, host, guest };
}

/** The guest's join ends in `failed`; resolves with the sentence it shows. */
async function joinFails(guest: LobbyNode, roomId: string): Promise<string> {
  const failed = await guest.tab.next(
    lobbyEvent("join_progress", (d) => d.room_id === roomId && d.step === "failed"),
    8000,
  );
  return (failed.data as { error: string }).error;
}

const refusals = (node: LobbyNode, peer: LobbyNode): AuditEntry[] =>
  node.node.fabric.audit
    .recent(100)
    .filter((e) => e.event === "refuse" && e.node_id === peer.node.identity.nodeId);

/** Neither end trusts the other, and no link between them exists. */
function nobodyPaired(host: LobbyNode, guest: LobbyNode): void {
  expect(peerRow(host.node, guest.node.identity.nodeId)).toBeUndefined();
  expect(peerRow(guest.node, host.node.identity.nodeId)).toBeUndefined();
  expect(host.node.fabric.hub.session(guest.node.identity.nodeId)).toBeUndefined();
  expect(guest.node.fabric.hub.session(host.node.identity.nodeId)).toBeUndefined();
}

describe("a lobby that lies", () => {
  test("a guest it lets into a token room without the token is refused by the host", async () => {
    const { fake, host, guest } = await onLiar();
    const room = await hostRoom(host.tab, "token");
    guest.tab.send({ channel: "lobby", event: "join_room", data: { room_id: room.id } });
    const error = await joinFails(guest, room.id);
    expect(fake.joins).toEqual([{ from: guest.node.identity.nodeId, room_id: room.id, token: undefined }]);
    expect(error).toContain("pairing required");
    expect(refusals(host, guest).map((e) => e.detail.reason)).toEqual(["pairing required"]);
    nobodyPaired(host, guest);
  }, 15_000);

  test("a guest it lets into a token room with a wrong token is refused by the host", async () => {
    const { host, guest } = await onLiar();
    const room = await hostRoom(host.tab, "token");
    guest.tab.send({
      channel: "lobby",
      event: "join_room",
      data: { room_id: room.id, token: "A".repeat(22) },
    });
    const error = await joinFails(guest, room.id);
    const reasons = refusals(host, guest).map((e) => String(e.detail.reason));
    expect(reasons).toHaveLength(1);
    expect(error).toContain(reasons[0]!);
    nobodyPaired(host, guest);
  }, 15_000);

  test("a guest presenting another key than the one the lobby reported joining is refused, token or not", async () => {
    const other = await testIdentity();
    const { host, guest } = await onLiar({ guestKey: () => other.publicKeyBase64 });
    const room = await hostRoom(host.tab, "token");
    guest.tab.send({ channel: "lobby", event: "join_room", data: { room_id: room.id, token: room.token } });
    const error = await joinFails(guest, room.id);
    expect(error).toContain("room token presented without joining the room through the lobby");
    expect(refusals(host, guest).map((e) => e.detail.reason)).toEqual([
      "room token presented without joining the room through the lobby",
    ]);
    nobodyPaired(host, guest);
  }, 15_000);

  test("a host key the lobby made up fails the guest's dial before the token is sent", async () => {
    const other = await testIdentity();
    const { host, guest } = await onLiar({ hostKey: () => other.publicKeyBase64 });
    const room = await hostRoom(host.tab, "token");
    guest.tab.send({ channel: "lobby", event: "join_room", data: { room_id: room.id, token: room.token } });
    const error = await joinFails(guest, room.id);
    expect(error).toContain("a different node answered");
    // The guest stopped at the host's hello_ack: no auth, so no token and no decision on the host.
    expect(refusals(host, guest)).toEqual([]);
    nobodyPaired(host, guest);
  }, 15_000);

  test("a room nobody asked to join, pushed by the lobby, admits nobody", async () => {
    const { fake, host: victim, guest: intruder } = await onLiar();
    const roomId = "ab".repeat(16);
    const intruderParty = fake.members.get(intruder.node.identity.nodeId)!.party;
    // The victim never asked to join anything; the lobby says the intruder hosts an open room it joined.
    fake.sendTo(victim.node.identity.nodeId, {
      type: "room_info",
      room: {
        id: roomId,
        name: "trap",
        host: intruderParty.node_id,
        host_name: intruderParty.node_name,
        members: 2,
        policy: "open",
        visibility: "unlisted",
      },
      host: intruderParty,
    });
    await Bun.sleep(100);
    const dial = intruder.node.fabric.hub.dial(
      { transport: "relay", address: `relay:${victim.node.identity.nodeId}` },
      { expectKey: Buffer.from(victim.node.identity.publicKeyBase64, "base64") },
    );
    await expect(dial).rejects.toThrow("pairing required");
    await eventually(() => refusals(victim, intruder).length === 1, "the victim's refusal on record");
    nobodyPaired(victim, intruder);
  }, 15_000);
});
