import { afterEach } from "bun:test";
import type { Backplane } from "../../lobby/backplane/backplane.ts";
import type { LobbyLimits } from "../../lobby/limits.ts";
import { type RunningLobby, startLobby } from "../../lobby/lobby-server.ts";
import type { NodeIdentity } from "../../server/identity/identity.ts";
import { silentLogger } from "../../server/log.ts";
import { LobbyPeer, newIdentity, type RegisterOptions } from "../helpers/lobby-peer.ts";

/** What a test may give a lobby beyond its limits: an instance of a lobby of several. */
export interface LobbyParts {
  /** Its backplane (the lobby's own memory one when not given). */
  backplane?: Backplane;
  /** Its identity: instances of one lobby share one. A fresh one when not given. */
  identity?: NodeIdentity;
}

/**
 * Lobbies and peers for one test file: each lobby on port 0 with a fresh identity, each peer on a
 * real socket; `afterEach` closes the peers and stops the lobbies a test started.
 */
export function lobbyHarness() {
  const lobbies: RunningLobby[] = [];
  const peers: LobbyPeer[] = [];
  afterEach(async () => {
    for (const p of peers.splice(0)) p.close();
    await Promise.all(lobbies.splice(0).map((l) => l.stop()));
  });
  return {
    async lobby(limits: Partial<LobbyLimits> = {}, parts: LobbyParts = {}): Promise<RunningLobby> {
      const lobby = await startLobby({
        port: 0,
        host: "127.0.0.1",
        identity: parts.identity ?? (await newIdentity()),
        log: silentLogger,
        limits,
        instance: "test",
        ...(parts.backplane ? { backplane: parts.backplane } : {}),
      });
      lobbies.push(lobby);
      return lobby;
    },
    async connect(lobby: RunningLobby): Promise<LobbyPeer> {
      const peer = await LobbyPeer.connect(lobby.wsUrl);
      peers.push(peer);
      return peer;
    },
    async node(lobby: RunningLobby, opts: RegisterOptions = {}) {
      const { peer, registered } = await LobbyPeer.registered(lobby.wsUrl, opts);
      peers.push(peer);
      return Object.assign(peer, { registeredFrame: registered });
    },
    track(peer: LobbyPeer): LobbyPeer {
      peers.push(peer);
      return peer;
    },
  };
}
