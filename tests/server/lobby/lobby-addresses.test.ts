import { expect, test } from "bun:test";
import { Backoff } from "../../../server/lobby/backoff.ts";
import { LobbyAddresses } from "../../../server/lobby/lobby-addresses.ts";
import { LobbyUrlError, parseLobbyUrls } from "../../../server/lobby/lobby-client.ts";
import { lobbyUrl } from "../../../server/lobby/lobby-settings.ts";
import { lobbyPool, testIdentity, untilState } from "../../helpers/lobby.ts";

/**
 * A node given several instances of one lobby: the list as typed, the order they are tried in,
 * and a real client moving on when the instance it is on goes away.
 */

const pool = lobbyPool();

/** A port nothing listens on: bound once, then released. */
function freePort(): number {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
  const port = server.port!;
  server.stop(true);
  return port;
}

test("a list of lobby addresses is split on commas and spaces, each normalised, a repeat dropped", () => {
  expect(
    parseLobbyUrls("ws://a.example:7400, wss://b.example  https://c.example/weft ws://a.example:7400"),
  ).toEqual(["ws://a.example:7400/lobby-ws", "wss://b.example/lobby-ws", "wss://c.example/weft/lobby-ws"]);
  expect(parseLobbyUrls(" ws://one.example ")).toEqual(["ws://one.example/lobby-ws"]);
});

test("a list with one bad address, or too many, is refused naming what is wrong", () => {
  expect(() => parseLobbyUrls("ws://a.example, ftp://b.example")).toThrow(LobbyUrlError);
  expect(() => parseLobbyUrls("ws://a.example, ftp://b.example")).toThrow(
    /"ftp:\/\/b.example".*not a lobby scheme/,
  );
  const nine = Array.from({ length: 9 }, (_, i) => `ws://i${i}.example`).join(",");
  expect(() => parseLobbyUrls(nine)).toThrow(/9 lobby addresses given; at most 8/);
  expect(() => parseLobbyUrls(" , ")).toThrow(/no lobby address given/);
});

test("network.lobbyUrl takes a list of instances and refuses a list with a bad one, saying which", () => {
  expect(lobbyUrl.schema.safeParse("ws://a.example:7400, ws://b.example:7400").success).toBe(true);
  expect(lobbyUrl.schema.safeParse("").success).toBe(true);
  const bad = lobbyUrl.schema.safeParse("ws://a.example, lobby.example");
  expect(bad.success).toBe(false);
  expect(bad.error?.issues[0]?.message).toContain('"lobby.example" is not a lobby address');
});

test("a failed attempt moves on to the next address soon; a whole round failed backs off; a drop retries in place", () => {
  const backoff = new Backoff({ baseMs: 1000, maxMs: 8000, jitter: 0 });
  const at = new LobbyAddresses(["ws://a/lobby-ws", "ws://b/lobby-ws", "ws://c/lobby-ws"], backoff, 100);
  expect(at.current).toBe("ws://a/lobby-ws");
  // a fails, b soon (within the spread), b fails, c soon, c fails: the round is over, back off.
  expect(at.next(true)).toBeLessThanOrEqual(100);
  expect(at.current).toBe("ws://b/lobby-ws");
  expect(at.next(true)).toBeLessThanOrEqual(100);
  expect(at.current).toBe("ws://c/lobby-ws");
  expect(at.next(true)).toBe(1000);
  expect(at.current).toBe("ws://a/lobby-ws");
  expect(at.next(true)).toBeLessThanOrEqual(100);
  expect(at.next(true)).toBeLessThanOrEqual(100);
  expect(at.next(true)).toBe(2000);
  // Registered at a; its socket drops: a again first, after the backoff.
  at.registered();
  backoff.reset();
  expect(at.next(false)).toBe(1000);
  expect(at.current).toBe("ws://a/lobby-ws");
  // One address alone: every retry is the backoff's.
  const one = new LobbyAddresses(
    ["ws://a/lobby-ws"],
    new Backoff({ baseMs: 500, maxMs: 800, jitter: 0 }),
    100,
  );
  expect([one.next(true), one.next(true), one.next(false)]).toEqual([500, 800, 800]);
});

test("a client skips an address nothing answers and registers at the next one", async () => {
  const lobby = await pool.lobby();
  const dead = `ws://127.0.0.1:${freePort()}/lobby-ws`;
  const client = await pool.registeredClient(`${dead}, ${lobby.wsUrl}`);
  expect(client.state).toMatchObject({ status: "connected", url: lobby.wsUrl, urls: [dead, lobby.wsUrl] });
});

test("a client on an instance that shuts down moves to the next one and registers there", async () => {
  const [first, second] = [await pool.lobby(), await pool.lobby()];
  const client = pool.client(await testIdentity(), `${first.wsUrl},${second.wsUrl}`, {
    // A long backoff: were the move to wait for it, the test would time out.
    backoff: { baseMs: 200, maxMs: 60_000 },
  });
  await untilState(
    client,
    (s) => s.status === "connected" && s.url === first.wsUrl,
    "registration on the first",
  );
  const sessions: string[] = [];
  const retries: string[] = [];
  client.on({
    registered: (m) => sessions.push(m.session),
    state: (s) => {
      if (s.status === "retrying") retries.push(s.url);
    },
  });
  await first.stop();
  await untilState(
    client,
    (s) => s.status === "connected" && s.url === second.wsUrl,
    "registration on the second",
    2000,
  );
  // The lobby said it was shutting down: no attempt went back to it first.
  expect(retries).toEqual([second.wsUrl]);
  expect(sessions).toHaveLength(1);
  expect(second.health().nodes).toBe(1);
});
