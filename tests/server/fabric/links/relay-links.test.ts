import { afterEach, expect, test } from "bun:test";
import { DialError, type Link, type LinkCloseInfo } from "../../../../server/fabric/links/link.ts";
import {
  createRelayTransport,
  MAX_PENDING_PER_PEER,
  RELAY,
  relayAddress,
} from "../../../../server/fabric/links/relay-transport.ts";
import { CONGESTED_BYTES } from "../../../../server/lobby/lobby-client.ts";
import {
  lobbyClientFor,
  type startTestLobby,
  testIdentity,
  transportsOnALobby,
  untilState,
} from "../../../helpers/lobby.ts";
import { StalledLobby } from "../../../helpers/raw-lobby-socket.ts";
import { transportContract } from "./link-contract.ts";

/** Two nodes registered with one real lobby, each with a relay transport over its client. */
function relayPair(limits: Parameters<typeof startTestLobby>[0] = {}) {
  return transportsOnALobby((carrier) => createRelayTransport({ carrier }), limits);
}

transportContract("relay", async () => {
  const p = await relayPair();
  return {
    dialing: p.dialing,
    listening: p.listening,
    address: relayAddress(p.listeningId),
    foreignAddress: "ws://127.0.0.1:1/peer-ws",
    cleanup: p.cleanup,
  };
});

let current: Awaited<ReturnType<typeof relayPair>> | undefined;
afterEach(async () => {
  await current?.cleanup();
  current = undefined;
});

async function linked(p: Awaited<ReturnType<typeof relayPair>>): Promise<{ dialer: Link; acceptor: Link }> {
  const accepted: Link[] = [];
  p.listening.listen((link) => {
    accepted.push(link);
  });
  const dialer = await p.dialing.dial(relayAddress(p.listeningId), { timeoutMs: 3000 });
  const deadline = Date.now() + 3000;
  while (accepted.length === 0) {
    if (Date.now() > deadline) throw new Error("the listener never accepted");
    await Bun.sleep(2);
  }
  return { dialer, acceptor: accepted[0]! };
}

async function until(check: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(2);
  }
}

test("a relayed link names the peer it reaches and the relay as its path", async () => {
  current = await relayPair();
  const { dialer, acceptor } = await linked(current);
  expect(dialer.transport).toBe(RELAY);
  expect(dialer.remoteAddress).toBe(relayAddress(current.listeningId));
  expect(acceptor.remoteAddress).toBe(relayAddress(current.dialingId));
  expect(dialer.carriesBinary).toBe(true);
});

test("dialing a node the lobby does not know fails at once, saying the peer is not connected", async () => {
  current = await relayPair();
  const absent = (await testIdentity()).nodeId;
  const started = performance.now();
  const err = await current.dialing.dial(relayAddress(absent), { timeoutMs: 3000 }).catch((e) => e);
  expect(err).toBeInstanceOf(DialError);
  expect((err as DialError).code).toBe("unreachable");
  expect((err as DialError).message).toContain("the peer is not connected to the lobby");
  expect(performance.now() - started).toBeLessThan(1000);
});

test("dialing without a lobby connection, or with relaying off, fails with its reason", async () => {
  const identity = await testIdentity();
  const offline = lobbyClientFor(identity, "ws://127.0.0.1:1");
  try {
    const transport = createRelayTransport({ carrier: offline });
    await expect(transport.dial(relayAddress(identity.nodeId))).rejects.toMatchObject({
      code: "unreachable",
      message: "no lobby connection to relay through",
    });
    const off = createRelayTransport({ carrier: offline, disabled: () => "relaying is turned off" });
    await expect(off.dial(relayAddress(identity.nodeId))).rejects.toMatchObject({
      code: "disabled",
      message: "relaying is turned off",
    });
    await expect(off.dial("relay:not-a-node")).rejects.toMatchObject({ code: "bad_address" });
  } finally {
    offline.stop();
  }
});

test("a peer that never answers the open times the dial out", async () => {
  current = await relayPair();
  // A node registered with the lobby but with no relay on its socket: it never answers.
  const muteId = await testIdentity();
  const mute = lobbyClientFor(muteId, current.lobby.wsUrl);
  try {
    await untilState(mute, (s) => s.status === "connected", "the mute node's registration");
    await expect(current.dialing.dial(relayAddress(muteId.nodeId), { timeoutMs: 150 })).rejects.toMatchObject(
      {
        code: "timeout",
      },
    );
  } finally {
    mute.stop();
  }
});

test("binary frames of nearly the lobby's largest size arrive intact, and text beside them", async () => {
  current = await relayPair();
  const { dialer, acceptor } = await linked(current);
  const big = new Uint8Array(1024 * 1024 - 64);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
  const got: Array<string | Uint8Array> = [];
  acceptor.onMessage((f) => got.push(f));
  dialer.send(big);
  dialer.send("after the big one");
  dialer.send(new Uint8Array([1, 2, 3]));
  await until(() => got.length === 3, "three frames");
  expect(got[0]).toBeInstanceOf(Uint8Array);
  expect(Buffer.from(got[0] as Uint8Array).equals(Buffer.from(big))).toBe(true);
  expect(got[1]).toBe("after the big one");
  expect([...(got[2] as Uint8Array)]).toEqual([1, 2, 3]);
});

test("when the lobby stops, every relayed link closes on both ends", async () => {
  current = await relayPair();
  const { dialer, acceptor } = await linked(current);
  const seen: Array<[string, LinkCloseInfo]> = [];
  dialer.onClose((i) => seen.push(["dialer", i]));
  acceptor.onClose((i) => seen.push(["acceptor", i]));
  await current.lobby.stop();
  await until(() => seen.length === 2, "both ends to close");
  expect(seen.map(([, i]) => i)).toEqual([
    { code: 1001, reason: "lobby connection lost" },
    { code: 1001, reason: "lobby connection lost" },
  ]);
  expect(() => dialer.send("late")).toThrow();
});

test("a peer that left the lobby closes the link on the next frame sent to it", async () => {
  current = await relayPair();
  const { dialer } = await linked(current);
  const closes: LinkCloseInfo[] = [];
  dialer.onClose((i) => closes.push(i));
  current.listeningClient.stop();
  const deadline = Date.now() + 3000;
  while (current.lobby.health().nodes !== 1) {
    if (Date.now() > deadline) throw new Error("the lobby still holds the peer");
    await Bun.sleep(5);
  }
  expect(dialer.isOpen).toBe(true);
  dialer.send("anyone there?");
  await until(() => closes.length > 0, "the dialer to close");
  expect(closes).toEqual([{ code: 1001, reason: "peer left the lobby" }]);
});

test("a congested lobby socket holds a relayed link's frames up to its cap, then the link closes saying so", async () => {
  const peer = (await testIdentity()).nodeId;
  const link = "c0ffee00";
  // Registers the client, opens a relayed link to it from `peer`, then reads nothing.
  const lobby = await StalledLobby.start(() => [
    {
      type: "challenge",
      nonce: Buffer.alloc(32, 1).toString("base64"),
      lobby_id: "aaaaaaaaaaaaaaaa",
      instance: "stalled",
    },
    { type: "registered", session: "s1", directory: [], rooms: [] },
    { type: "relay_open", from: peer, link },
  ]);
  const client = lobbyClientFor(await testIdentity(), lobby.wsUrl);
  const transport = createRelayTransport({ carrier: client });
  try {
    const accepted: Link[] = [];
    transport.listen((l) => void accepted.push(l));
    await untilState(client, (s) => s.status === "connected", "registration with the stalled lobby");
    await until(() => accepted.length === 1, "the relayed link from the peer");
    const relayed = accepted[0]!;
    const closes: LinkCloseInfo[] = [];
    relayed.onClose((i) => closes.push(i));
    const downs: string[] = [];
    client.on({ down: (r) => downs.push(r) });
    const frame = new Uint8Array(1024);
    let sent = 0;
    const sendUpTo = (bytes: number) => {
      while (sent < bytes && relayed.isOpen) {
        try {
          relayed.send(frame);
          sent += frame.length;
        } catch {
          return;
        }
      }
    };
    // Well past what the kernel holds and a few MiB unsent: the link stays, and so does the control path.
    sendUpTo(16 * 1024 * 1024);
    expect(relayed.isOpen).toBe(true);
    expect(client.congested).toBe(false);
    expect(client.send({ type: "list_rooms" })).toBe(true);
    sendUpTo(CONGESTED_BYTES * 2);
    expect(closes).toEqual([{ code: 1013, reason: "the lobby connection is congested" }]);
    expect(sent).toBeGreaterThan(CONGESTED_BYTES);
    expect(client.congested).toBe(true);
    // Congestion is not loss: the node stays registered, and the peer is told why the link went.
    expect(client.registered).toBe(true);
    expect(downs).toEqual([]);
    lobby.resumeReading();
    await until(
      () => lobby.texts.some((t) => t.includes('"relay_end"')),
      "the relay_end to the peer",
      10_000,
    );
    const end = lobby.texts
      .map((t) => JSON.parse(t) as Record<string, unknown>)
      .find((m) => m.type === "relay_end");
    expect(end).toEqual({
      type: "relay_end",
      to: peer,
      link,
      reason: "1013 the lobby connection is congested",
    });
    expect(lobby.texts.some((t) => t.includes('"list_rooms"'))).toBe(true);
  } finally {
    transport.close();
    client.stop();
    lobby.stop();
  }
});

test("a peer may hold only so many relayed links mid-handshake; the next is refused at once", async () => {
  current = await relayPair();
  const p = current;
  // A listener whose handshakes never finish, as a flood of half-open links would leave it.
  let accepted = 0;
  p.listening.listen(() => {
    accepted += 1;
    return new Promise(() => {});
  });
  const held: Link[] = [];
  for (let i = 0; i < MAX_PENDING_PER_PEER; i++) {
    held.push(await p.dialing.dial(relayAddress(p.listeningId), { timeoutMs: 3000 }));
  }
  const refused = await p.dialing.dial(relayAddress(p.listeningId), { timeoutMs: 3000 }).catch((e) => e);
  expect(refused).toBeInstanceOf(DialError);
  expect((refused as Error).message).toContain("too many relayed links waiting for a handshake");
  expect(accepted).toBe(MAX_PENDING_PER_PEER);
  // The refusal costs the links already waiting nothing.
  expect(held.every((l) => l.isOpen)).toBe(true);
});
