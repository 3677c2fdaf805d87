import { afterEach, describe, expect, test } from "bun:test";
import { classes, methods } from "werift-ice/lib/ice-server/src/stun/const";
import { Message, parseMessage } from "werift-ice/lib/ice-server/src/stun/message";
import { startLobby } from "../../lobby/lobby-server.ts";
import { type StunResponder, startStunResponder } from "../../lobby/stun-responder.ts";
import { StartupError } from "../../server/errors.ts";
import { type Logger, silentLogger } from "../../server/log.ts";
import { newIdentity } from "../helpers/lobby-peer.ts";
import { lobbyHarness } from "./lobby-harness.ts";

/**
 * The lobby answers STUN binding requests over UDP, so a node behind NAT learns its public address
 * from the lobby it already uses. Requests here are real datagrams from a real UDP socket; the
 * answers are read with a STUN codec, as any STUN client would read them.
 */
const h = lobbyHarness();
const responders: StunResponder[] = [];
afterEach(() => {
  for (const r of responders.splice(0)) r.stop();
});

/** A UDP client on loopback that keeps every datagram it is sent. */
async function client() {
  const got: Buffer[] = [];
  const socket = await Bun.udpSocket({
    hostname: "127.0.0.1",
    binaryType: "buffer",
    // An unreachable port reports ICMP as an error; a client here does not care.
    socket: { data: (_s, data) => void got.push(data), error: () => {} },
  });
  return {
    port: socket.port,
    got,
    send: (bytes: Uint8Array, port: number) => socket.send(bytes, port, "127.0.0.1"),
    close: () => socket.close(),
  };
}

const bindingRequest = () => new Message(methods.BINDING, classes.REQUEST).addFingerprint();

async function responder(limits: { perSourcePerSec?: number; totalPerSec?: number } = {}) {
  const r = await startStunResponder({
    host: "127.0.0.1",
    port: 0,
    log: silentLogger,
    perSourcePerSec: limits.perSourcePerSec ?? 10,
    totalPerSec: limits.totalPerSec ?? 1_000,
  });
  responders.push(r);
  return r;
}

/** Waits until `got` holds `n` datagrams, or the time is up; returns how many it holds. */
async function settle(got: unknown[], n: number, ms = 1_000): Promise<number> {
  const deadline = Date.now() + ms;
  while (got.length < n && Date.now() < deadline) await Bun.sleep(5);
  return got.length;
}

describe("the lobby's STUN server", () => {
  test("a binding request is answered with the address and port it came from, under its transaction id", async () => {
    const stun = await responder();
    const c = await client();
    const request = bindingRequest();
    c.send(request.bytes, stun.port);
    expect(await settle(c.got, 1)).toBe(1);
    const answer = parseMessage(c.got[0]!);
    expect(answer?.messageMethod).toBe(methods.BINDING);
    expect(answer?.messageClass).toBe(classes.RESPONSE);
    expect(answer?.transactionIdHex).toBe(request.transactionIdHex);
    expect(answer?.getAttributeValue("XOR-MAPPED-ADDRESS")).toEqual(["127.0.0.1", c.port]);
    // A fingerprint that checks out: parseMessage drops a message whose fingerprint is wrong.
    expect(answer?.getAttributeValue("FINGERPRINT")).toBeNumber();
    c.close();
  });

  test("what is not a binding request goes unanswered: garbage, a truncated request, an indication, a response", async () => {
    const stun = await responder();
    const c = await client();
    const whole = bindingRequest().bytes;
    c.send(new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n"), stun.port);
    c.send(whole.subarray(0, 19), stun.port);
    c.send(Buffer.concat([whole, Buffer.from([1, 2, 3, 4])]), stun.port);
    c.send(new Message(methods.BINDING, classes.INDICATION).bytes, stun.port);
    c.send(new Message(methods.BINDING, classes.RESPONSE).bytes, stun.port);
    c.send(new Message(methods.ALLOCATE, classes.REQUEST).bytes, stun.port);
    c.send(new Uint8Array(4_000), stun.port);
    // The one good request after them is answered: the bad ones changed nothing.
    c.send(whole, stun.port);
    expect(await settle(c.got, 1)).toBe(1);
    await Bun.sleep(100);
    expect(c.got.length).toBe(1);
    expect(parseMessage(c.got[0]!)?.messageClass).toBe(classes.RESPONSE);
    expect(stun.counters()).toEqual({ answered: 1, dropped: 7 });
    c.close();
  });

  test("an asker gone before its answer arrives costs nothing: the next one is answered", async () => {
    const stun = await responder();
    for (let i = 0; i < 5; i++) {
      const gone = await client();
      gone.send(bindingRequest().bytes, stun.port);
      gone.close();
    }
    await Bun.sleep(50);
    const c = await client();
    c.send(bindingRequest().bytes, stun.port);
    expect(await settle(c.got, 1)).toBe(1);
    expect(stun.counters().answered).toBe(6);
    c.close();
  });

  test("a request requiring an attribute STUN binding does not know gets 420 naming it", async () => {
    const stun = await responder();
    const c = await client();
    c.send(bindingRequest().appendRawAttribute(0x7f01, Buffer.from([0, 0, 0, 0])).bytes, stun.port);
    expect(await settle(c.got, 1)).toBe(1);
    const answer = parseMessage(c.got[0]!);
    expect(answer?.messageClass).toBe(classes.ERROR);
    expect(answer?.getAttributeValue("ERROR-CODE")).toEqual([420, "Unknown Attribute"]);
    expect(answer?.getAttributeValue("UNKNOWN-ATTRIBUTES")).toEqual([0x7f01]);
    c.close();
  });

  test("one source sending fast is answered up to its rate and the rest dropped", async () => {
    const stun = await responder({ perSourcePerSec: 5 });
    const c = await client();
    for (let i = 0; i < 40; i++) c.send(bindingRequest().bytes, stun.port);
    await settle(c.got, 40, 300);
    // A burst of twice the rate, plus what refilled while the burst was sent.
    expect(c.got.length).toBeGreaterThanOrEqual(10);
    expect(c.got.length).toBeLessThanOrEqual(12);
    expect(stun.counters().dropped).toBe(40 - c.got.length);
    c.close();
  });

  test("a lobby answers STUN on its own port number and tells every node where, in registered and /health", async () => {
    const lobby = await h.lobby();
    expect(lobby.stunPort).toBe(lobby.port);
    expect(lobby.health().stun_port).toBe(lobby.port);
    const node = await h.node(lobby);
    expect(node.registeredFrame.stun_port).toBe(lobby.port);
    const c = await client();
    c.send(bindingRequest().bytes, lobby.port);
    expect(await settle(c.got, 1)).toBe(1);
    expect(parseMessage(c.got[0]!)?.getAttributeValue("XOR-MAPPED-ADDRESS")).toEqual(["127.0.0.1", c.port]);
    c.close();
  });

  test("with STUN off the lobby answers none and tells nodes nothing of it", async () => {
    const lobby = await startLobby({
      port: 0,
      host: "127.0.0.1",
      identity: await newIdentity(),
      log: silentLogger,
      stunPort: null,
    });
    try {
      expect(lobby.stunPort).toBeUndefined();
      expect(lobby.health().stun_port).toBeUndefined();
      const c = await client();
      c.send(bindingRequest().bytes, lobby.port);
      expect(await settle(c.got, 1, 200)).toBe(0);
      c.close();
    } finally {
      await lobby.stop();
    }
  });

  test("a STUN port asked for that is taken stops the lobby from starting, saying so; the default one only warns", async () => {
    const taken = await Bun.udpSocket({ hostname: "127.0.0.1" });
    const warnings: string[] = [];
    const log: Logger = { ...silentLogger, warn: (msg: string) => void warnings.push(msg) };
    const start = async (port: number, stunPort?: number) =>
      startLobby({
        port,
        host: "127.0.0.1",
        identity: await newIdentity(),
        log,
        ...(stunPort === undefined ? {} : { stunPort }),
      });
    try {
      const refused = await start(0, taken.port).then(
        (l) => l.stop().then(() => undefined),
        (err: unknown) => err,
      );
      expect(refused).toBeInstanceOf(StartupError);
      expect((refused as Error).message).toBe(
        `cannot answer STUN: UDP port ${taken.port} is in use; pick another with --stun-port`,
      );
      expect(warnings).toEqual([]);
      // Listening on the number the UDP socket holds: the lobby starts, without STUN, and says why.
      const lobby = await start(taken.port);
      try {
        expect(lobby.port).toBe(taken.port);
        expect(lobby.stunPort).toBeUndefined();
        expect(warnings).toEqual([
          "not answering STUN: nodes need network.stunServer for WebRTC through NAT",
        ]);
      } finally {
        await lobby.stop();
      }
    } finally {
      taken.close();
    }
  });
});
