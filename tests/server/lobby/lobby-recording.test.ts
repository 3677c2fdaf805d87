import { afterEach, describe, expect, test } from "bun:test";
import { RELAY_BINARY_KIND } from "../../../protocol/lobby.ts";
import { decodeInvite, encodeInvite } from "../../../server/fabric/invite-codec.ts";
import { chatTab } from "../../helpers/chat-tab.ts";
import { collabTab } from "../../helpers/collab-tab.ts";
import { connectedOver, lobbyNodes, pairThroughTokenRoom } from "../../helpers/lobby-nodes.ts";
import { eventually, mintInvite, pair } from "../../helpers/peer-nodes.ts";
import {
  framesShowing,
  type RecordedFrame,
  type RecordingProxy,
  startRecordingProxy,
} from "../../helpers/recording-proxy.ts";

/**
 * What the lobby sees of two nodes that pair through it and then chat and write together: every
 * frame between each node and the real lobby passes a proxy that keeps a copy. Pane text, chat and
 * invite tokens never show in any of them; the room token shows only where the design puts it
 * (the host's `room_created` and the guest's `join_room`), never inside a relayed frame.
 */

const setup = lobbyNodes();
const proxies: RecordingProxy[] = [];
afterEach(async () => {
  for (const p of proxies.splice(0)) await p.stop();
});

const CHAT_MARKER = "chat-marker-7f3a9c-only-the-two-ends";
const SCRATCH_MARKER = "scratch-marker-51be0d-typed-in-a-pane";

/** A text frame's `type`, or undefined for a binary frame or one that is not JSON. */
function typeOf(f: RecordedFrame): string | undefined {
  if (typeof f.data !== "string") return undefined;
  try {
    return (JSON.parse(f.data) as { type?: string }).type;
  } catch {
    return undefined;
  }
}

const relayed = (f: RecordedFrame) =>
  typeof f.data === "string"
    ? ["relay", "relay_open", "relay_end"].includes(typeOf(f) ?? "")
    : f.data[0] === RELAY_BINARY_KIND;

/** The peer-wire envelopes carried in relayed text frames. */
function relayedEnvelopes(frames: readonly RecordedFrame[]): Array<{ type: string; data?: unknown }> {
  return frames.flatMap((f) => {
    if (typeOf(f) !== "relay") return [];
    const inner = (JSON.parse(f.data as string) as { frame: string }).frame;
    return [JSON.parse(inner) as { type: string; data?: unknown }];
  });
}

describe("what the lobby sees", () => {
  test("no chat text, pane text or invite token crosses the lobby readable, and the room token never inside the relay", async () => {
    const lobby = await setup.lobbies.lobby();
    const proxy = startRecordingProxy(lobby.wsUrl);
    proxies.push(proxy);
    const { host, guest } = await setup.twoNodesOnALobby({ url: proxy.wsUrl });
    const friend = await setup.onLobby(proxy.wsUrl);
    const room = await pairThroughTokenRoom(host, guest);
    const hostId = host.node.identity.nodeId;
    const guestId = guest.node.identity.nodeId;

    // Chat both ways.
    const a = await chatTab(guest.node.port);
    const b = await chatTab(host.node.port);
    await a.open(hostId);
    await b.open(guestId);
    a.send(hostId, `to the host: ${CHAT_MARKER}`);
    b.send(guestId, `to the guest: ${CHAT_MARKER}`);
    // A shared Scratch, typed into on both ends.
    const owner = await collabTab(host.node.port, "scratch:main");
    owner.share(guestId);
    const address = `scratch:main@${hostId}`;
    await eventually(() => guest.node.collab.room(address) !== undefined, "the share", 5000);
    const opened = await collabTab(guest.node.port, address);
    owner.insert(0, SCRATCH_MARKER);
    opened.insert(0, `${SCRATCH_MARKER.toUpperCase()} `);
    // An invite each node minted, one of them redeemed over the relay by a third node.
    const hostInvite = await mintInvite(host.node);
    const guestInvite = await mintInvite(guest.node);
    const hostToken = decodeInvite(hostInvite).t;
    const overRelay = encodeInvite({
      ...decodeInvite(hostInvite),
      p: [{ transport: "relay", address: `relay:${hostId}` }],
    });
    const redeemed = await pair(friend.node, overRelay);
    expect(redeemed.body).toMatchObject({ ok: true });
    expect(connectedOver(friend.node, host.node, "relay")).toBe(true);

    await eventually(
      () => b.messages().some((m) => m.text.includes(CHAT_MARKER) && m.direction === "in"),
      "the host to get the chat message",
      5000,
    );
    await eventually(
      () => a.messages().some((m) => m.text.includes(CHAT_MARKER) && m.direction === "in"),
      "the guest to get the chat message",
      5000,
    );
    const hasBoth = (t: string) => t.includes(SCRATCH_MARKER) && t.includes(SCRATCH_MARKER.toUpperCase());
    await eventually(
      () => owner.text() === opened.text() && hasBoth(owner.text()),
      "both to see both edits",
      5000,
    );

    const frames = [...proxy.frames];
    // The proxy really carried the traffic: relayed text and binary frames both ways.
    expect(frames.filter((f) => relayed(f) && f.dir === "up").length).toBeGreaterThan(10);
    expect(frames.filter((f) => relayed(f) && f.dir === "down").length).toBeGreaterThan(10);
    expect(frames.filter((f) => typeof f.data !== "string" && relayed(f)).length).toBeGreaterThan(0);

    expect(framesShowing(frames, CHAT_MARKER)).toEqual([]);
    expect(framesShowing(frames, SCRATCH_MARKER)).toEqual([]);
    expect(framesShowing(frames, SCRATCH_MARKER.toUpperCase())).toEqual([]);
    expect(framesShowing(frames, hostToken)).toEqual([]);
    expect(framesShowing(frames, decodeInvite(guestInvite).t)).toEqual([]);

    // The room token: to the host in room_created and from the guest in join_room, nowhere else.
    const token = room.token!;
    const showing = framesShowing(frames, token);
    expect(showing.map((f) => `${f.dir} ${typeOf(f)}`).sort()).toEqual(["down room_created", "up join_room"]);
    expect(showing.filter(relayed)).toEqual([]);
    // The guest did present it, sealed in its auth frame: there is a token, and it is opaque.
    const sent = frames.filter((f) => f.dir === "up"); // each relayed frame is seen going up and coming down
    const auths = relayedEnvelopes(sent).filter((e) => e.type === "auth");
    const sealedTokens = auths
      .map((e) => (e.data as { token?: unknown }).token)
      .filter((t) => t !== undefined);
    expect(sealedTokens.length).toBe(2); // the guest's room token and the friend's invite token
    for (const sealed of sealedTokens) {
      expect(typeof sealed).toBe("string");
      expect(String(sealed)).not.toContain(token);
      expect(String(sealed)).not.toContain(hostToken);
    }
  }, 30_000);
});
