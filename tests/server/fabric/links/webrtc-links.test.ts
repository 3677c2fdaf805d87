import { afterEach, expect, test } from "bun:test";
import type { Link } from "../../../../server/fabric/links/link.ts";
import {
  createWebRtcTransport,
  WEBRTC,
  webrtcAddress,
} from "../../../../server/fabric/links/webrtc-transport.ts";
import { transportsOnALobby, untilState } from "../../../helpers/lobby.ts";
import { transportContract } from "./link-contract.ts";

/** Two nodes registered with one real lobby, each with a WebRTC transport signaling over its client. */
function webrtcPair(opts: { negotiateTimeoutMs?: number } = {}) {
  return transportsOnALobby((carrier) => createWebRtcTransport({ carrier, ...opts }));
}

transportContract("webrtc", async () => {
  const p = await webrtcPair();
  return {
    dialing: p.dialing,
    listening: p.listening,
    address: webrtcAddress(p.listeningId),
    foreignAddress: "relay:aaaaaaaaaaaaaaaa",
    cleanup: p.cleanup,
  };
});

let current: Awaited<ReturnType<typeof webrtcPair>> | undefined;
afterEach(async () => {
  await current?.cleanup();
  current = undefined;
});

async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(2);
  }
}

test("a frame past the data channel's message size arrives whole, bytes and text alike", async () => {
  current = await webrtcPair();
  const accepted: Link[] = [];
  current.listening.listen((l) => void accepted.push(l));
  const dialer = await current.dialing.dial(webrtcAddress(current.listeningId));
  await until(() => accepted.length === 1, "the accepted link");
  const got: Array<string | Uint8Array> = [];
  accepted[0]!.onMessage((f) => got.push(f));
  const bytes = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 7) & 255);
  dialer.send(bytes);
  dialer.send("ü".repeat(300_000));
  await until(() => got.length === 2, "both frames");
  expect(got[0]).toEqual(bytes);
  expect(got[1]).toBe("ü".repeat(300_000));
  expect(dialer.transport).toBe(WEBRTC);
});

test("a link outlives the lobby socket it was negotiated through", async () => {
  current = await webrtcPair();
  const accepted: Link[] = [];
  current.listening.listen((l) => void accepted.push(l));
  const dialer = await current.dialing.dial(webrtcAddress(current.listeningId));
  await until(() => accepted.length === 1, "the accepted link");
  const got: string[] = [];
  accepted[0]!.onMessage((f) => got.push(String(f)));
  await current.lobby.stop();
  await untilState(current.dialingClient, (s) => s.status !== "connected", "the lobby to be gone");
  dialer.send("peer to peer");
  await until(() => got.length === 1, "the frame after the lobby went");
  expect(got).toEqual(["peer to peer"]);
  expect(dialer.isOpen).toBe(true);
});

test("a peer that never answers the offer is given up at the negotiation timeout, and says so", async () => {
  current = await webrtcPair({ negotiateTimeoutMs: 800 });
  // The listening end takes no links: its transport refuses, so stop it answering at all instead.
  current.listening.close();
  const started = performance.now();
  await expect(current.dialing.dial(webrtcAddress(current.listeningId))).rejects.toMatchObject({
    code: "timeout",
    message: expect.stringContaining("no WebRTC channel"),
  });
  expect(performance.now() - started).toBeLessThan(2_000);
});

test("a peer that is not accepting ends the negotiation at once with its reason", async () => {
  current = await webrtcPair();
  await expect(current.dialing.dial(webrtcAddress(current.listeningId))).rejects.toMatchObject({
    code: "unreachable",
    message: expect.stringContaining("not accepting WebRTC links"),
  });
});
