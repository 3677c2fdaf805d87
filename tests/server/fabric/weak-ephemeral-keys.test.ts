import { afterEach, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { Server } from "bun";
import { helloData, type SignedEnvelope } from "../../../protocol/peer.ts";
import { HandshakeError, WEAK_KEY } from "../../../server/fabric/handshake.ts";
import { encodeInvite } from "../../../server/fabric/invite-codec.ts";
import { loadOrCreateIdentity } from "../../../server/identity/identity.ts";
import type { Logger } from "../../../server/log.ts";
import { type RunningNode, startNode } from "../../../server/node.ts";
import {
  deriveSessionKeys,
  isLowOrderX25519,
  newEphemeral,
  newHeader,
  signEnvelope,
  WeakKeyError,
} from "../../../server/wire/envelope-crypto.ts";
import { SeenGuard } from "../../../server/wire/seen-guard.ts";
import { checkSignedFrame } from "../../../server/wire/signed-frame.ts";
import { eventually } from "../../helpers/peer-nodes.ts";
import { echoProbe, expectStillServing, processFaults, RawPeer } from "../../helpers/raw-peer.ts";
import { tempDir } from "../../helpers/temp-dir.ts";

const faults = processFaults();
const running: Array<{ stop(): unknown }> = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop();
  expect(faults).toEqual([]);
});

const ZERO_KEY = Buffer.alloc(32).toString("base64");
/** The order-8 point e0eb7a7c…: not all zero, yet it forces a known secret just the same. */
const ORDER_EIGHT = Buffer.from("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800", "hex");

interface Logged {
  level: keyof Logger;
  message: string;
}

/** A node whose log lines are kept, so a test can tell a refusal from a crash. */
async function loggedNode(): Promise<{ node: RunningNode; lines: Logged[] }> {
  const lines: Logged[] = [];
  const at = (level: keyof Logger) => (message: string) => lines.push({ level, message });
  const log: Logger = { error: at("error"), warn: at("warn"), info: at("info"), debug: at("debug") };
  const node = await startNode(
    {
      port: 0,
      portExplicit: true,
      host: "127.0.0.1",
      dataDir: join(tempDir(), "data"),
      name: "target",
      logLevel: "debug",
      pingIntervalMs: 200,
    },
    log,
  );
  running.push(node);
  node.settings.update({ "network.trustMode": "open-lan" });
  return { node, lines };
}

const errors = (lines: Logged[]) => lines.filter((l) => l.level === "error");

/**
 * A hostile acceptor on a real `/peer-ws`: it reads the dialer's hello and answers with a properly
 * signed hello_ack whose ephemeral key is `eph`, then records whatever else the dialer sends.
 */
async function hostileAcceptor(eph: string) {
  const identity = await loadOrCreateIdentity(join(tempDir(), "identity.key"));
  const afterAck: string[] = [];
  let answered = false;
  const server: Server<undefined> = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (req, srv) => (srv.upgrade(req) ? undefined : new Response("upgrade", { status: 426 })),
    websocket: {
      message(ws, raw) {
        if (answered) {
          afterAck.push(String(raw));
          return;
        }
        const hello = checkSignedFrame(JSON.parse(String(raw)), {
          type: "hello",
          data: helloData,
          publicKey: (d) => new Uint8Array(Buffer.from(d.public_key, "base64")),
          seen: new SeenGuard(),
        });
        const ack: SignedEnvelope = signEnvelope(
          identity,
          newHeader("hello_ack", identity.nodeId, { dst: hello.env.src, re: hello.env.msg_id }),
          {
            node_name: "hostile acceptor",
            public_key: identity.publicKeyBase64,
            capabilities: [],
            nonce: randomBytes(32).toString("base64"),
            eph,
            echo: hello.data.nonce,
          },
        );
        answered = true;
        ws.send(JSON.stringify(ack));
      },
    },
  });
  running.push({ stop: () => server.stop(true) });
  return { address: `ws://127.0.0.1:${server.port}/peer-ws`, afterAck, identity };
}

describe("low-order X25519 ephemeral keys", () => {
  test("every small-order point is recognised, with or without its ignored top bit", () => {
    expect(isLowOrderX25519(Buffer.alloc(32))).toBe(true);
    expect(isLowOrderX25519(ORDER_EIGHT)).toBe(true);
    const highBit = Buffer.from(ORDER_EIGHT);
    highBit[31] = (highBit[31] ?? 0) | 0x80;
    expect(isLowOrderX25519(highBit)).toBe(true);
    expect(isLowOrderX25519(newEphemeral().publicKey)).toBe(false);
  });

  test("deriving session keys with a low-order key fails as a weak key, not a crypto crash", () => {
    for (const theirs of [new Uint8Array(32), ORDER_EIGHT]) {
      expect(() =>
        deriveSessionKeys({
          mine: newEphemeral(),
          theirs,
          dialerNonce: randomBytes(32),
          acceptorNonce: randomBytes(32),
          dialerId: "a",
          acceptorId: "b",
          transcript: new Uint8Array(),
        }),
      ).toThrow(WeakKeyError);
    }
  });

  test("a dialer sending an all-zero eph is refused before hello_ack and counted, not logged as a crash", async () => {
    const { node, lines } = await loggedNode();
    const peer = await RawPeer.create("zero eph");
    await peer.connect(node.port);
    peer.sendHello({ data: { eph: ZERO_KEY } });
    expect((await peer.closed()).code).toBe(1008);
    // Nothing was answered: not even a hello_ack signed over a secret the dialer chose.
    expect(peer.received).toEqual([]);
    expect(node.fabric.hub.rejects[WEAK_KEY]).toBe(1);
    expect(node.fabric.hub.row(peer.identity.nodeId)).toBeUndefined();
    await eventually(() => lines.some((l) => l.message === "inbound handshake failed"), "the refusal log");
    expect(errors(lines)).toEqual([]);
    await expectStillServing(node, echoProbe(node));
  });

  test("a dialer sending a non-zero low-order eph is refused the same way", async () => {
    const { node, lines } = await loggedNode();
    const peer = await RawPeer.create("order eight eph");
    await peer.connect(node.port);
    peer.sendHello({ data: { eph: ORDER_EIGHT.toString("base64") } });
    expect((await peer.closed()).code).toBe(1008);
    expect(peer.received).toEqual([]);
    expect(node.fabric.hub.rejects[WEAK_KEY]).toBe(1);
    expect(errors(lines)).toEqual([]);
  });

  test("an acceptor answering with an all-zero eph gets no auth, the dial fails clearly and is counted", async () => {
    const { node, lines } = await loggedNode();
    const hostile = await hostileAcceptor(ZERO_KEY);
    const dialing = node.fabric.hub.dial(hostile.address);
    const err = await dialing.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(HandshakeError);
    expect((err as HandshakeError).frameCode).toBe(WEAK_KEY);
    expect((err as HandshakeError).message).toContain("low-order");
    // The invite token, sealed under a key the acceptor could compute, never left the node.
    await Bun.sleep(200);
    expect(hostile.afterAck).toEqual([]);
    expect(node.fabric.hub.rejects[WEAK_KEY]).toBe(1);
    expect(node.fabric.hub.sessions()).toEqual([]);
    expect(errors(lines)).toEqual([]);
    await expectStillServing(node, echoProbe(node));
  });

  test("pairing by invite with an acceptor that answers a low-order eph reports why, over REST", async () => {
    const { node } = await loggedNode();
    const hostile = await hostileAcceptor(ORDER_EIGHT.toString("base64"));
    const { identity } = hostile;
    // A well-formed invite naming the hostile acceptor and its real key, so only the eph is wrong.
    const invite = encodeInvite({
      n: identity.nodeId,
      k: identity.publicKeyBase64,
      a: [hostile.address],
      t: "AAAAAAAAAAAAAAAAAAAAAA",
      e: Date.now() + 60_000,
    });
    const res = await fetch(`http://localhost:${node.port}/api/network/pair`, {
      method: "POST",
      headers: { origin: `http://localhost:${node.port}`, "content-type": "application/json" },
      body: JSON.stringify({ invite }),
    });
    expect(res.status).toBeLessThan(500);
    const body = (await res.json()) as { ok: boolean; error?: string };
    expect(body.ok).toBe(false);
    expect(body.error).toContain("low-order");
    expect(hostile.afterAck).toEqual([]);
  });
});
