/**
 * How long a fresh WebRTC link takes to come up, as the dialing node sees it: the half of
 * bench/webrtc.ts that times handshakes, over the pair bench/lobby-relay.ts sets up.
 *
 * The dialer is the node in this process, so its clock sees the negotiation from the inside: the
 * moment its lobby socket sends the first `rtc_offer` for the dial, the `rtc_answer` coming back,
 * the data channel opening (the dial's `handshaking` stage) and the weft handshake done over it
 * (the `connected` stage, when the hub holds the session). The answerer is the compiled binary,
 * and the lobby between them is the compiled one too.
 */
import type { LobbyServerMessage } from "../protocol/lobby.ts";
import type { PeersResponse } from "../protocol/network.ts";
import { WEBRTC } from "../server/fabric/links/webrtc-link.ts";
import { lobbyFeature } from "../server/lobby/lobby-feature.ts";
import { type LobbyPair, lobbyPathTo } from "./lobby-relay.ts";

/** One fresh link's moments, in ms from the dial call. */
export interface HandshakeSample {
  offer: number;
  answer: number;
  open: number;
  done: number;
}

/** Waits for `check` to hold, polling; a clear failure after `ms`. */
async function until(what: string, check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await Bun.sleep(10);
  }
}

const kindOf = (data: unknown): unknown => (data as { kind?: unknown } | null)?.kind;

/**
 * `links` fresh WebRTC links from the pair's sender to its receiver, one after another. Direct
 * links are turned off on both first (the relay already is, by the pair's `via`); before each dial
 * the last link is disconnected (which holds both ends from redialing) and gone at both ends, and
 * after it the receiver's peer row must show the link `connected` over WebRTC too.
 */
export async function timeHandshakes(
  { sender, receiver }: LobbyPair,
  links: number,
  progress: (line: string) => void,
): Promise<{ samples: HandshakeSample[]; route: string | null }> {
  const hub = sender.fabric.hub;
  const client = sender.features.get(lobbyFeature).client;
  const rid = receiver.nodeId;
  const expectKey = Buffer.from(hub.row(rid)?.public_key ?? "", "base64");
  const receiverRow = async () =>
    (await receiver.api<PeersResponse>("GET", "/api/network/peers")).peers.find(
      (p) => p.node_id === sender.identity.nodeId,
    );

  sender.settings.update({ "network.enableDirect": false });
  await receiver.api("PUT", "/api/settings", { "network.enableDirect": false });

  // The offer leaves through the lobby socket's `send`, which nothing outside the node observes;
  // wrapping it on this one instance is the least the bench can touch to see that moment.
  let offerAt: number | undefined;
  let answerAt: number | undefined;
  const send = client.send;
  client.send = (msg) => {
    if (msg.type === "signal" && msg.to === rid && kindOf(msg.data) === "rtc_offer")
      offerAt ??= performance.now();
    return send.call(client, msg);
  };
  const offMessages = client.on({
    message(msg: LobbyServerMessage) {
      if (msg.type === "signal" && msg.from === rid && kindOf(msg.data) === "rtc_answer")
        answerAt ??= performance.now();
    },
  });
  const samples: HandshakeSample[] = [];
  let route: string | null = null;
  try {
    for (let i = 0; i < links; i++) {
      if (hub.session(rid)) hub.disconnect(rid, "bench: a fresh WebRTC link next");
      await until("the last link gone at both ends", async () => {
        if (hub.session(rid)) return false;
        return (await receiverRow())?.status !== "connected";
      });
      offerAt = undefined;
      answerAt = undefined;
      let openAt: number | undefined;
      let doneAt: number | undefined;
      const dialAt = performance.now();
      await hub.dial(lobbyPathTo(WEBRTC, rid), {
        expectKey,
        onStage: (stage) => {
          if (stage === "handshaking") openAt ??= performance.now();
          if (stage === "connected") doneAt ??= performance.now();
        },
      });
      if (hub.session(rid)?.link.transport !== WEBRTC)
        throw new Error(`link ${i + 1} came up over ${hub.session(rid)?.link.transport ?? "nothing"}`);
      if (offerAt === undefined || answerAt === undefined || openAt === undefined || doneAt === undefined)
        throw new Error(`link ${i + 1} came up without an offer, an answer or a stage the bench heard`);
      await until("the receiver's row to show the WebRTC link", async () => {
        const row = await receiverRow();
        route = row?.path_reason ?? null;
        return row?.status === "connected" && row.transport === WEBRTC;
      });
      const sample = {
        offer: offerAt - dialAt,
        answer: answerAt - dialAt,
        open: openAt - dialAt,
        done: doneAt - dialAt,
      };
      samples.push(sample);
      progress(
        `link ${i + 1}/${links}: offer at ${sample.offer.toFixed(1)} ms, answer +${(sample.answer - sample.offer).toFixed(1)}, channel open +${(sample.open - sample.answer).toFixed(1)}, handshake done +${(sample.done - sample.open).toFixed(1)}`,
      );
    }
  } finally {
    client.send = send;
    offMessages();
  }
  return { samples, route };
}
