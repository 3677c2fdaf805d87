import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { dataChannelNative } from "../../server/fabric/links/datachannel-native.ts";
import type { Link } from "../../server/fabric/links/link.ts";
import {
  createWebRtcTransport,
  type WebRtcTransport,
  webrtcAddress,
} from "../../server/fabric/links/webrtc-transport.ts";
import type { LobbyClient } from "../../server/lobby/lobby-client.ts";
import {
  type FuzzRun,
  fuzzRun,
  fuzzTimeoutMs,
  mutateText,
  randomJson,
  randomString,
} from "../helpers/fuzz.ts";
import { lobbyClientFor, startTestLobby, testIdentity, untilState } from "../helpers/lobby.ts";
import { LobbyPeer } from "../helpers/lobby-peer.ts";

/**
 * What a hostile node on the same lobby can send a node's WebRTC transport: offers whose SDP is
 * mangled, candidates that are not candidates, answers and ends for negotiations that do not
 * exist, signals of kinds nobody knows. All of it reaches the native library or is refused before
 * it; none of it may crash the process, and an honest peer still links afterwards.
 */

let lobby: Awaited<ReturnType<typeof startTestLobby>>;
let victimClient: LobbyClient;
let victim: WebRtcTransport;
let honestClient: LobbyClient;
let honest: WebRtcTransport;
let attacker: LobbyPeer;
let realOffer = "";
let victimId = "";
const accepted: Link[] = [];

/** An SDP offer as libdatachannel writes one, to mangle. */
async function captureOffer(): Promise<string> {
  const pc = new (dataChannelNative().PeerConnection)("fuzz-offer", { iceServers: [] });
  const offer = new Promise<string>((resolve) => pc.onLocalDescription((sdp) => resolve(sdp)));
  pc.createDataChannel("peer", {});
  const sdp = await offer;
  pc.close();
  return sdp;
}

beforeAll(async () => {
  lobby = await startTestLobby({ limits: { signalPerSec: 1_000_000, signalBurst: 1_000_000 } });
  const victimKey = await testIdentity();
  victimId = victimKey.nodeId;
  victimClient = lobbyClientFor(victimKey, lobby.wsUrl);
  honestClient = lobbyClientFor(await testIdentity(), lobby.wsUrl);
  await untilState(victimClient, (s) => s.status === "connected", "the victim's registration");
  await untilState(honestClient, (s) => s.status === "connected", "the honest node's registration");
  victim = createWebRtcTransport({ carrier: victimClient, negotiateTimeoutMs: 2_000 });
  honest = createWebRtcTransport({ carrier: honestClient });
  victim.listen((link) => void accepted.push(link));
  ({ peer: attacker } = await LobbyPeer.registered(lobby.wsUrl, { name: "attacker" }));
  realOffer = await captureOffer();
});

afterAll(async () => {
  attacker?.close();
  victim?.close();
  honest?.close();
  victimClient?.stop();
  honestClient?.stop();
  await lobby?.stop();
});

const linkId = (run: FuzzRun) => (run.chance(0.8) ? randomBytes(4).toString("hex") : randomString(run, 12));

/** One hostile `signal.data`. */
function hostileSignal(run: FuzzRun): unknown {
  const link = linkId(run);
  switch (run.int(7)) {
    case 0:
      return { kind: "rtc_offer", link, sdp: mutateText(run, realOffer) };
    case 1:
      return { kind: "rtc_offer", link, sdp: randomString(run, 2_000) };
    case 2:
      return {
        kind: "rtc_candidate",
        link,
        candidate: mutateText(run, "candidate:1 1 UDP 2122252543 10.0.0.2 50000 typ host"),
        mid: randomString(run, 8),
      };
    case 3:
      return { kind: "rtc_answer", link, sdp: mutateText(run, realOffer) };
    case 4:
      return { kind: "rtc_end", link, reason: randomString(run, 300) };
    case 5:
      return { kind: randomString(run, 12), link, sdp: realOffer };
    default:
      return randomJson(run);
  }
}

describe("WebRTC signals from a hostile node", () => {
  test(
    "mangled offers, candidates, answers and ends change nothing, and an honest peer still links",
    async () => {
      const run = fuzzRun("webrtc-signals", 2_000, 10);
      // A real offer followed by a storm of candidates for it: the part of the library that takes
      // input while a negotiation is live.
      while (run.next()) {
        const data = hostileSignal(run);
        if (run.chance(0.1)) {
          const link = randomBytes(4).toString("hex");
          attacker.send({ type: "signal", to: victimId, data: { kind: "rtc_offer", link, sdp: realOffer } });
          for (let i = 0; i < 5; i++) {
            attacker.send({
              type: "signal",
              to: victimId,
              data: {
                kind: "rtc_candidate",
                link,
                candidate: mutateText(run, "candidate:1 1 UDP 2122252543 127.0.0.1 50000 typ host"),
                mid: "0",
              },
            });
          }
        }
        attacker.send({ type: "signal", to: victimId, data });
        if (run.counts.sent % 50 === 0) await Bun.sleep(1);
      }
      run.report();
      await Bun.sleep(500);
      // The attacker completed no handshake and opened no channel the listener was handed.
      expect(accepted).toEqual([]);
      expect(victimClient.registered).toBe(true);
      const link = await honest.dial(webrtcAddress(victimId), { timeoutMs: 10_000 });
      const got: string[] = [];
      const deadline = Date.now() + 5_000;
      while (accepted.length === 0 && Date.now() < deadline) await Bun.sleep(5);
      expect(accepted).toHaveLength(1);
      accepted[0]!.onMessage((f) => got.push(String(f)));
      link.send("still here");
      while (got.length === 0 && Date.now() < deadline) await Bun.sleep(5);
      expect(got).toEqual(["still here"]);
      expect(run.failures).toEqual([]);
    },
    fuzzTimeoutMs(10),
  );
});
