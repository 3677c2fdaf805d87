import { describe, expect, test } from "bun:test";
import type { PeerPath } from "../../../../protocol/peer.ts";
import { Dialer, UnreachableError } from "../../../../server/fabric/links/dialer.ts";
import { DialError, type Link, LinkBase, type Transport } from "../../../../server/fabric/links/link.ts";

/**
 * The dialer's race between the preferred paths and the relay (docs/architecture.md, path choice):
 * the relay waits its turn while direct paths are trying, starts at once when they all failed,
 * the first path to complete its handshake wins and the other attempt is called off, and a
 * refusal that holds everywhere ends the whole search.
 */

class FakeLink extends LinkBase {
  readonly direction = "outbound" as const;
  readonly transport: string;
  readonly remoteAddress: string;
  constructor(transport: string, remoteAddress: string) {
    super();
    this.transport = transport;
    this.remoteAddress = remoteAddress;
  }
  protected transmit(): void {}
  protected shutdown(): void {}
}

/** How a fake transport answers a dial: after `ms`, with a link, a failure, or never. */
type DialScript =
  | { kind: "link"; ms?: number }
  | { kind: "fail"; ms?: number; message: string }
  | { kind: "hang" };

interface DialRecord {
  address: string;
  /** When the dial started, ms after the race began. */
  at: number;
  aborted: boolean;
  link: Link | undefined;
}

/** A transport whose dials follow a script and are recorded, abort included. */
function fakeTransport(name: string, script: DialScript, started: () => number, lastResort = false) {
  const dials: DialRecord[] = [];
  const transport: Transport = {
    name,
    ...(lastResort ? { lastResort: true } : {}),
    handles: (address) => address.startsWith(`${name}:`),
    listen: () => () => {},
    dial: (address, options) =>
      new Promise<Link>((resolve, reject) => {
        const record: DialRecord = { address, at: started(), aborted: false, link: undefined };
        dials.push(record);
        let timer: ReturnType<typeof setTimeout> | undefined;
        options?.signal?.addEventListener(
          "abort",
          () => {
            record.aborted = true;
            clearTimeout(timer);
            reject(new DialError("aborted", "the dial was cancelled"));
          },
          { once: true },
        );
        if (script.kind === "hang") return;
        timer = setTimeout(() => {
          if (script.kind === "fail") return reject(new DialError("unreachable", script.message));
          record.link = new FakeLink(name, address);
          resolve(record.link);
        }, script.ms ?? 0);
      }),
  };
  return { transport, dials };
}

const DIRECT: PeerPath = { transport: "direct", address: "direct:peer" };
const RELAY: PeerPath = { transport: "relay", address: "relay:peer" };

/** A refusal by the other node: it refuses on every path. */
class Refused extends Error {}

interface Race {
  direct: DialScript;
  relay: DialScript;
  /** How long each path's handshake takes once dialed, or an error it ends with. */
  handshake?: Partial<Record<"direct" | "relay", { ms?: number; error?: Error }>>;
  delayMs?: number;
  paths?: PeerPath[];
}

/** Runs one `reach` and reports who won, why each path was used, and each transport's dials. */
async function race(r: Race) {
  const t0 = performance.now();
  const since = () => performance.now() - t0;
  const direct = fakeTransport("direct", r.direct, since);
  const relay = fakeTransport("relay", r.relay, since, true);
  const dialer = new Dialer({ transports: [direct.transport, relay.transport] });
  const reasons: Array<{ transport: string; reason: string | undefined }> = [];
  const established: string[] = [];
  const outcome = await dialer
    .reach(
      r.paths ?? [DIRECT, RELAY],
      async (_link, path, reason) => {
        reasons.push({ transport: path.transport, reason });
        const h = r.handshake?.[path.transport as "direct" | "relay"];
        if (h?.ms) await Bun.sleep(h.ms);
        if (h?.error) throw h.error;
        established.push(path.transport);
        return path.transport;
      },
      { lastResortDelayMs: r.delayMs ?? 100, final: (err) => err instanceof Refused },
    )
    .then(
      (winner) => ({ winner, error: undefined }),
      (error: Error) => ({ winner: undefined, error }),
    );
  return { ...outcome, at: since(), reasons, established, direct: direct.dials, relay: relay.dials };
}

describe("the dialer's race between direct paths and the relay", () => {
  test("the relay waits while a direct dial hangs, then wins, and the hanging dial is called off", async () => {
    const r = await race({ direct: { kind: "hang" }, relay: { kind: "link" }, delayMs: 150 });
    expect(r.winner).toBe("relay");
    expect(r.relay).toHaveLength(1);
    expect(r.relay[0]!.at).toBeGreaterThanOrEqual(140);
    expect(r.direct[0]!.aborted).toBe(true);
    expect(r.reasons).toEqual([{ transport: "relay", reason: "no direct path answered within 150 ms" }]);
  });

  test("with the default head start the relay waits 3 s and says so", async () => {
    const t0 = performance.now();
    const direct = fakeTransport("direct", { kind: "hang" }, () => performance.now() - t0);
    const relay = fakeTransport("relay", { kind: "link" }, () => performance.now() - t0, true);
    const dialer = new Dialer({ transports: [direct.transport, relay.transport] });
    let why: string | undefined;
    const winner = await dialer.reach([DIRECT, RELAY], async (_l, path, reason) => {
      why = reason;
      return path.transport;
    });
    expect(winner).toBe("relay");
    expect(relay.dials[0]!.at).toBeGreaterThanOrEqual(2_990);
    expect(why).toBe("no direct path answered within 3 s");
  }, 10_000);

  test("the relay starts at once when every direct path failed, and says how they failed", async () => {
    const r = await race({
      direct: { kind: "fail", message: "connection refused" },
      relay: { kind: "link" },
      delayMs: 5_000,
    });
    expect(r.winner).toBe("relay");
    expect(r.at).toBeLessThan(1_000);
    expect(r.reasons).toEqual([{ transport: "relay", reason: "direct failed: direct connection refused" }]);
  });

  test("a direct link that completes while the relay is dialing wins, and the relay's dial is called off", async () => {
    const r = await race({ direct: { kind: "link", ms: 200 }, relay: { kind: "hang" }, delayMs: 50 });
    expect(r.winner).toBe("direct");
    expect(r.relay).toHaveLength(1);
    expect(r.relay[0]!.aborted).toBe(true);
    expect(r.reasons).toEqual([{ transport: "direct", reason: undefined }]);
  });

  test("the first path to complete its handshake wins, even when the other dialed first", async () => {
    const r = await race({
      direct: { kind: "link" },
      relay: { kind: "link" },
      handshake: { direct: { ms: 400 } },
      delayMs: 50,
    });
    expect(r.winner).toBe("relay");
    expect(r.at).toBeLessThan(350);
    expect(r.established).toEqual(["relay"]);
  });

  test("a refusal on a direct path ends the search: the relay is never tried", async () => {
    const r = await race({
      direct: { kind: "link" },
      relay: { kind: "link" },
      handshake: { direct: { error: new Refused("pairing required") } },
      delayMs: 50,
    });
    await Bun.sleep(100); // past the relay's head start
    expect(r.error).toBeInstanceOf(Refused);
    expect(r.error?.message).toBe("pairing required");
    expect(r.relay).toEqual([]);
  });

  test("a refusal over the relay calls off a direct dial still hanging", async () => {
    const r = await race({
      direct: { kind: "hang" },
      relay: { kind: "link" },
      handshake: { relay: { error: new Refused("blocked") } },
      delayMs: 50,
    });
    expect(r.error).toBeInstanceOf(Refused);
    expect(r.direct[0]!.aborted).toBe(true);
  });

  test("when both fail, the error lists what happened on each path", async () => {
    const r = await race({
      direct: { kind: "fail", message: "connection refused" },
      relay: { kind: "fail", message: "the peer is not connected to the lobby" },
    });
    expect(r.error).toBeInstanceOf(UnreachableError);
    expect((r.error as UnreachableError).attempts.map((a) => [a.path.transport, a.error.message])).toEqual([
      ["direct", "connection refused"],
      ["relay", "the peer is not connected to the lobby"],
    ]);
  });

  test("with only a relay path it is dialed at once and the reason says no direct path is known", async () => {
    const r = await race({
      direct: { kind: "hang" },
      relay: { kind: "link" },
      paths: [RELAY],
      delayMs: 5_000,
    });
    expect(r.winner).toBe("relay");
    expect(r.at).toBeLessThan(1_000);
    expect(r.direct).toEqual([]);
    expect(r.reasons).toEqual([{ transport: "relay", reason: "no direct path is known" }]);
  });

  test("cancelling the dial calls off both attempts", async () => {
    const t0 = performance.now();
    const direct = fakeTransport("direct", { kind: "hang" }, () => performance.now() - t0);
    const relay = fakeTransport("relay", { kind: "hang" }, () => performance.now() - t0, true);
    const dialer = new Dialer({ transports: [direct.transport, relay.transport] });
    const cancel = new AbortController();
    const reaching = dialer.reach([DIRECT, RELAY], async (_l, p) => p.transport, {
      lastResortDelayMs: 20,
      signal: cancel.signal,
    });
    await Bun.sleep(60);
    cancel.abort();
    await expect(reaching).rejects.toMatchObject({ code: "aborted" });
    expect(direct.dials[0]!.aborted).toBe(true);
    expect(relay.dials[0]!.aborted).toBe(true);
  });
});

describe("WebRTC in the race, between direct paths and the relay", () => {
  const WEBRTC: PeerPath = { transport: "webrtc", address: "webrtc:peer" };

  /** Direct, WebRTC (raced after `headStartMs`) and the relay (after `delayMs`), each scripted. */
  async function threeWay(
    direct: DialScript,
    webrtc: DialScript,
    relay: DialScript,
    headStartMs = 50,
    delayMs = 400,
  ) {
    const t0 = performance.now();
    const since = () => performance.now() - t0;
    const d = fakeTransport("direct", direct, since);
    const w = fakeTransport("webrtc", webrtc, since);
    const r = fakeTransport("relay", relay, since, true);
    const dialer = new Dialer({
      transports: [d.transport, { ...w.transport, raceAfterMs: headStartMs }, r.transport],
    });
    const winner = await dialer.reach([DIRECT, WEBRTC, RELAY], async (_l, p) => p.transport, {
      lastResortDelayMs: delayMs,
    });
    return { winner, direct: d.dials, webrtc: w.dials, relay: r.dials };
  }

  test("WebRTC joins after its head start while a direct dial hangs, wins, and the relay is never dialed", async () => {
    const r = await threeWay({ kind: "hang" }, { kind: "link", ms: 30 }, { kind: "link" });
    expect(r.winner).toBe("webrtc");
    expect(r.webrtc[0]!.at).toBeGreaterThanOrEqual(45);
    expect(r.webrtc[0]!.at).toBeLessThan(300);
    expect(r.direct[0]!.aborted).toBe(true);
    expect(r.relay).toEqual([]);
  });

  test("a direct path that links within the head start leaves WebRTC undialed", async () => {
    const r = await threeWay({ kind: "link", ms: 5 }, { kind: "link" }, { kind: "link" }, 200);
    expect(r.winner).toBe("direct");
    expect(r.webrtc).toEqual([]);
    expect(r.relay).toEqual([]);
  });

  test("with WebRTC turned off the relay says so in its reason", async () => {
    const t0 = performance.now();
    const since = () => performance.now() - t0;
    const w = fakeTransport("webrtc", { kind: "link" }, since);
    const r = fakeTransport("relay", { kind: "link" }, since, true);
    const off = "WebRTC is turned off in settings (network.enableWebRtc)";
    const dialer = new Dialer({
      transports: [{ ...w.transport, raceAfterMs: 50, disabled: () => off }, r.transport],
    });
    let why: string | undefined;
    const winner = await dialer.reach([WEBRTC, RELAY], async (_l, p, reason) => {
      why = reason;
      return p.transport;
    });
    expect(winner).toBe("relay");
    expect(w.dials).toEqual([]);
    expect(why).toBe(`no direct path is known; ${off}`);
  });

  test("when direct fails WebRTC starts at once, and when WebRTC fails too the relay does", async () => {
    const r = await threeWay(
      { kind: "fail", message: "connection refused" },
      { kind: "fail", ms: 20, message: "ICE failed" },
      { kind: "link" },
      5_000,
      5_000,
    );
    expect(r.winner).toBe("relay");
    expect(r.webrtc[0]!.at).toBeLessThan(100);
    expect(r.relay[0]!.at).toBeLessThan(200);
  });
});
