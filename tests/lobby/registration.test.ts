import { describe, expect, test } from "bun:test";
import { LobbyPeer, newIdentity } from "../helpers/lobby-peer.ts";
import { lobbyHarness } from "./lobby-harness.ts";

const h = lobbyHarness();

describe("registering with a lobby", () => {
  test("a node that signs its challenge is registered and the challenge names the lobby", async () => {
    const lobby = await h.lobby();
    const peer = await h.connect(lobby);
    expect(peer.challenge.lobby_id).toBe(lobby.lobbyId);
    expect(peer.challenge.instance).toBe("test");
    const registered = await peer.register();
    expect(registered.session.length).toBeGreaterThan(0);
    expect(registered.directory).toEqual([]);
    expect(lobby.health().nodes).toBe(1);
  });

  test("a registration signed for an earlier socket's challenge is refused", async () => {
    const lobby = await h.lobby();
    const identity = await newIdentity();
    const first = h.track(await LobbyPeer.connect(lobby.wsUrl, identity));
    const oldNonce = first.challenge.nonce;
    first.close();
    const second = h.track(await LobbyPeer.connect(lobby.wsUrl, identity));
    second.send(second.registerFrame({ nonce: oldNonce }));
    const error = await second.next("error");
    expect(error.code).toBe("auth");
    await second.waitClose();
    expect(lobby.health().nodes).toBe(0);
  });

  test("a signature by another key is refused", async () => {
    const lobby = await h.lobby();
    const peer = await h.connect(lobby);
    peer.send(peer.registerFrame({ signer: await newIdentity() }));
    expect((await peer.next("error")).code).toBe("auth");
    await peer.waitClose();
  });

  test("a public key that is not the node id's is refused", async () => {
    const lobby = await h.lobby();
    const peer = await h.connect(lobby);
    const other = await newIdentity();
    peer.send(peer.registerFrame({ override: { node_id: other.nodeId } }));
    expect((await peer.next("error")).code).toBe("auth");
    await peer.waitClose();
    expect(lobby.health().nodes).toBe(0);
  });

  test("anything before register is refused as unregistered and the socket closed", async () => {
    const lobby = await h.lobby();
    const peer = await h.connect(lobby);
    peer.send({ type: "list_rooms" });
    expect((await peer.next("error")).code).toBe("unregistered");
    await peer.waitClose();
    const binary = await h.connect(lobby);
    binary.sendRaw(new Uint8Array([0x52, 1, 2, 3]));
    expect((await binary.next("error")).code).toBe("unregistered");
    await binary.waitClose();
  });

  test("a socket that never registers is closed once its time is up", async () => {
    const lobby = await h.lobby({ registerTimeoutMs: 150 });
    const peer = await h.connect(lobby);
    const started = performance.now();
    await peer.waitClose(3_000);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(peer.pending("error")[0]?.code).toBe("unregistered");
  });

  test("a second registration of a node replaces the first, which is told and closed", async () => {
    const lobby = await h.lobby();
    const identity = await newIdentity();
    const first = h.track(await LobbyPeer.connect(lobby.wsUrl, identity));
    await first.register();
    const second = h.track(await LobbyPeer.connect(lobby.wsUrl, identity));
    await second.register();
    expect((await first.next("goodbye")).reason).toBe("replaced");
    expect(await first.waitClose()).toEqual({ code: 4000, reason: "replaced" });
    expect(lobby.health().nodes).toBe(1);
    // The newer socket is the registered one: it still gets answers.
    second.send({ type: "ping" });
    await second.next("pong");
  });
});
