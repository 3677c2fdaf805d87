import { afterAll, beforeAll, beforeEach } from "bun:test";
import type { Backplane } from "../../lobby/backplane/backplane.ts";
import type { LobbyLimits } from "../../lobby/limits.ts";
import type { RunningLobby } from "../../lobby/lobby-server.ts";
import { type LobbyHealth, lobbyHealth } from "../../protocol/lobby.ts";
import type { NodeIdentity } from "../../server/identity/identity.ts";
import { type LobbyPeer, newIdentity } from "../helpers/lobby-peer.ts";
import { lobbyHarness } from "./lobby-harness.ts";

/** How the scenarios get backplanes of one kind on one shared store, and take the store away. */
export interface SharedStoreFixture {
  readonly name: string;
  /** Once per file; throws a sentence saying what is missing when the store cannot be had. */
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** An empty store for the next test. */
  reset(): Promise<void>;
  /**
   * A backplane named `instance` on the shared store, not started (the lobby starts it); `abandon`
   * stops it as a killed process would, leaving what it held to lapse.
   */
  backplane(instance: string, presenceTtlMs?: number): Backplane & { abandon(): void };
  /** The store goes away (connections drop)... */
  stopStore(): Promise<void>;
  /** ...and comes back empty. */
  startStore(): Promise<void>;
}

export const LINK = "0c0ffee0";
export const NEXT_LINK = "0c0ffee1";
export const MiB = 1024 * 1024;
export const NOT_KEEPING_UP = "1013 the peer is not keeping up";
/** Long enough for anything crossing the store to have crossed. */
export const CROSSING_MS = 5_000;
/** A scenario waits for crossings, and for a grace or an outage to pass. */
export const TEST_MS = 30_000;

/**
 * What every two-instance scenario starts from, for one `describe`: the fixture's store set up
 * once and emptied before each test, lobbies that stop after each, and two instances of one lobby
 * (one identity, one store) on demand. `tag` keeps each file's instance ids apart.
 */
export function twoInstanceHarness(fixture: SharedStoreFixture, tag: string) {
  const h = lobbyHarness();
  let n = 0;
  let identity: NodeIdentity;

  beforeAll(async () => {
    await fixture.setup();
    identity = await newIdentity();
  });
  afterAll(() => fixture.teardown());
  beforeEach(() => fixture.reset());

  /** Two instances of one lobby: one identity, one store. */
  async function pair(
    limits: Partial<LobbyLimits> = {},
    presenceTtlMs?: number,
  ): Promise<[RunningLobby, RunningLobby, Backplane & { abandon(): void }]> {
    n += 1;
    const first = fixture.backplane(`${tag}one${n}`, presenceTtlMs);
    const one = await h.lobby(limits, { identity, backplane: first });
    const two = await h.lobby(limits, {
      identity,
      backplane: fixture.backplane(`${tag}two${n}`, presenceTtlMs),
    });
    return [one, two, first];
  }

  /** The public room `roomId` as `peer`'s lobby lists it, once it does. */
  async function listed(peer: LobbyPeer, roomId: string) {
    const deadline = Date.now() + CROSSING_MS;
    for (;;) {
      peer.send({ type: "list_rooms" });
      const { rooms } = await peer.next("rooms");
      const room = rooms.find((r) => r.id === roomId);
      if (room) return room;
      if (Date.now() > deadline) throw new Error(`room ${roomId} not listed within ${CROSSING_MS} ms`);
      await Bun.sleep(100);
    }
  }

  async function health(lobby: RunningLobby): Promise<LobbyHealth> {
    return lobbyHealth.parse(await (await fetch(`${lobby.url}/health`)).json());
  }

  return { h, pair, listed, health };
}

/** Polls `check` until it holds, or fails naming `what`. */
export async function until(check: () => Promise<boolean>, what: string, ms = CROSSING_MS): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}
