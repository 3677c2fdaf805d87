import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { weftBinary } from "../helpers/binary.ts";
import { waitFor } from "../helpers/browser.ts";
import { linkedOver, peerOf } from "../helpers/lobby-binary-nodes.ts";
import { INTERNET } from "./nat-topology.ts";
import { chatBothWays, netRun, pairThroughRoom } from "./net-run.ts";

/**
 * Compiled nodes behind real NATs (network namespaces, iptables MASQUERADE) meet through a
 * compiled lobby on a public address and link over what the NATs allow: WebRTC peer to peer
 * through endpoint-independent NATs, WebRTC through coturn between symmetric ones, and the lobby's
 * relay between symmetric ones with no TURN server. Each node has its LAN address only, so every
 * candidate ICE can use crosses its router.
 */

const run = netRun(weftBinary);
afterEach(() => run.cleanUp());
afterAll(() => run.cleanUp());

/** A router's public address: what a peer behind another NAT can reach. */
const publicOf = (lan: number) => `203.0.113.${100 + lan}`;

describe("compiled nodes behind NATs, meeting through a lobby on the internet", () => {
  test("two nodes behind endpoint-independent NATs link over WebRTC peer to peer, not through the relay", async () => {
    const world = await run.world([{ nat: "eim" }, { nat: "eim" }]);
    // No STUN server is set: each node asks the lobby it registered with for its public address,
    // and nothing else could tell it, so a reflexive candidate below is the lobby's answer.
    const { host, guest, joined } = await pairThroughRoom(run, world, { host: {}, guest: {} });
    expect(joined.transport).toBe("webrtc");
    await waitFor(() => linkedOver(host, guest, "webrtc"), "a WebRTC link both ways", 10_000);
    // Each row names the pair ICE chose; the far end is the other router's public mapping (a
    // reflexive candidate), never a TURN relay and never the other side's private address.
    const [hostSees, guestSees] = [(await peerOf(host, guest))!, (await peerOf(guest, host))!];
    for (const [row, far] of [
      [guestSees, publicOf(1)],
      [hostSees, publicOf(2)],
    ] as const) {
      expect(row.path_reason).toMatch(
        new RegExp(`^webrtc: \\w+ [0-9.]+ -> (srflx|prflx) ${far.replaceAll(".", "\\.")}$`),
      );
      expect(row.path_reason).not.toContain("relay");
    }
    await chatBothWays(run, host, guest, "through two NATs");
  }, 20_000);

  test("two nodes behind symmetric NATs link over WebRTC through the TURN server", async () => {
    const world = await run.world([{ nat: "symmetric" }, { nat: "symmetric" }]);
    const settings = {
      "network.turnUrl": world.turn.turnUrl,
      "network.turnUsername": world.turn.username,
      "network.turnCredential": world.turn.credential,
    };
    const { host, guest, joined } = await pairThroughRoom(run, world, { host: settings, guest: settings });
    expect(joined.transport).toBe("webrtc");
    await waitFor(() => linkedOver(host, guest, "webrtc"), "a WebRTC link both ways", 10_000);
    // The route goes through a relay candidate on coturn's address, and the row says so.
    for (const row of [(await peerOf(host, guest))!, (await peerOf(guest, host))!]) {
      expect(row.path_reason).toContain(`relay ${INTERNET.turn}`);
      expect(row.path_reason).toEndWith(", through the TURN server");
    }
    await chatBothWays(run, host, guest, "through the TURN server");
  }, 20_000);

  test("two nodes behind symmetric NATs with no TURN server fall back to the lobby's relay", async () => {
    const world = await run.world([{ nat: "symmetric" }, { nat: "symmetric" }]);
    const { host, guest, joined } = await pairThroughRoom(run, world, { host: {}, guest: {} });
    expect(joined.transport).toBe("relay");
    await waitFor(() => linkedOver(host, guest, "relay"), "a relayed link both ways", 10_000);
    expect((await peerOf(guest, host))?.path_reason).toStartWith("relayed");
    await chatBothWays(run, host, guest, "over the relay");
  }, 20_000);
});
