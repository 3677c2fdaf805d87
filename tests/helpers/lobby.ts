import { afterEach } from "bun:test";
import { join } from "node:path";
import type { LobbyLimits } from "../../lobby/limits.ts";
import { type RunningLobby, startLobby } from "../../lobby/lobby-server.ts";
import { loadOrCreateIdentity, type NodeIdentity } from "../../server/identity/identity.ts";
import {
  LobbyClient,
  type LobbyClientDeps,
  type LobbyConnectionState,
} from "../../server/lobby/lobby-client.ts";
import { silentLogger } from "../../server/log.ts";
import { tempDir } from "./temp-dir.ts";

/** A fresh Ed25519 identity in a folder of its own. */
export function testIdentity(): Promise<NodeIdentity> {
  return loadOrCreateIdentity(join(tempDir("weft-lobby-id-"), "identity.key"));
}

/** A real lobby in this process on a free port (or `port`), with a fresh identity unless given one. */
export async function startTestLobby(
  opts: { port?: number; identity?: NodeIdentity; limits?: Partial<LobbyLimits> } = {},
): Promise<RunningLobby & { identity: NodeIdentity }> {
  const identity = opts.identity ?? (await testIdentity());
  const lobby = await startLobby({
    port: opts.port ?? 0,
    host: "127.0.0.1",
    identity,
    log: silentLogger,
    ...(opts.limits ? { limits: opts.limits } : {}),
  });
  return Object.assign(lobby, { identity });
}

/** A lobby client for `identity`, connected to `url`, with fast retries unless told otherwise. */
export function lobbyClientFor(
  identity: NodeIdentity,
  url: string,
  overrides: Partial<LobbyClientDeps> = {},
): LobbyClient {
  const client = new LobbyClient({
    identity,
    log: silentLogger,
    nodeName: () => `node ${identity.nodeId.slice(0, 4)}`,
    addresses: () => ["ws://127.0.0.1:1/peer-ws"],
    listed: () => true,
    capabilities: () => ["sealed-binary"],
    backoff: { baseMs: 50, maxMs: 400 },
    ...overrides,
  });
  client.connect(url);
  return client;
}

/** Lobbies and clients a test file starts, stopped after each test. */
export function lobbyPool() {
  const lobbies: RunningLobby[] = [];
  const clients: LobbyClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.stop();
    for (const l of lobbies.splice(0)) await l.stop();
  });
  return {
    async lobby(opts: Parameters<typeof startTestLobby>[0] = {}) {
      const lobby = await startTestLobby(opts);
      lobbies.push(lobby);
      return lobby;
    },
    client(identity: NodeIdentity, url: string, overrides: Partial<LobbyClientDeps> = {}): LobbyClient {
      const client = lobbyClientFor(identity, url, overrides);
      clients.push(client);
      return client;
    },
    /** A client with a fresh identity, registered before it is returned. */
    async registeredClient(url: string, overrides: Partial<LobbyClientDeps> = {}): Promise<LobbyClient> {
      const client = this.client(await testIdentity(), url, overrides);
      await untilState(client, (s) => s.status === "connected", "registration");
      return client;
    },
  };
}

/** Polls `client.state` until `check` holds; fails naming `what` and the last state otherwise. */
export async function untilState(
  client: LobbyClient,
  check: (state: LobbyConnectionState) => boolean,
  what: string,
  ms = 3000,
): Promise<LobbyConnectionState> {
  const deadline = Date.now() + ms;
  while (!check(client.state)) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}; state: ${JSON.stringify(client.state)}`);
    }
    await Bun.sleep(5);
  }
  return client.state;
}

/**
 * Two nodes registered with one real lobby, each with a transport `make` builds over its lobby
 * client (the relay, WebRTC): the pair the lobby-borne transports' tests dial between.
 */
export async function transportsOnALobby<T extends { close(): void }>(
  make: (client: LobbyClient) => T,
  lobbyOptions: Parameters<typeof startTestLobby>[0] = {},
) {
  const lobby = await startTestLobby(lobbyOptions);
  const dialingId = await testIdentity();
  const listeningId = await testIdentity();
  const dialingClient = lobbyClientFor(dialingId, lobby.wsUrl);
  const listeningClient = lobbyClientFor(listeningId, lobby.wsUrl);
  await untilState(dialingClient, (s) => s.status === "connected", "the dialing node's registration");
  await untilState(listeningClient, (s) => s.status === "connected", "the listening node's registration");
  const dialing = make(dialingClient);
  const listening = make(listeningClient);
  return {
    lobby,
    dialing,
    listening,
    dialingClient,
    listeningClient,
    dialingId: dialingId.nodeId,
    listeningId: listeningId.nodeId,
    async cleanup() {
      dialing.close();
      listening.close();
      dialingClient.stop();
      listeningClient.stop();
      await lobby.stop();
    },
  };
}
