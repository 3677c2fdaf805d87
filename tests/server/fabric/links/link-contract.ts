import { afterEach, describe, expect, test } from "bun:test";
import {
  DialError,
  type Link,
  LinkClosedError,
  type LinkCloseInfo,
  type Transport,
} from "../../../../server/fabric/links/link.ts";

/** Two ends of one link, made fresh for each test, and how to tear down what made them. */
export interface LinkPair {
  dialer: Link;
  acceptor: Link;
  cleanup(): void | Promise<void>;
}

const until = async (check: () => boolean, what: string) => {
  const deadline = Date.now() + 3000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(2);
  }
};

/**
 * What every transport must do for the fabric core, run against each implementation of `Link`:
 * ordered delivery both ways, buffering until someone listens, close seen once on both ends,
 * and no sends after close.
 */
export function linkContract(name: string, makePair: () => Promise<LinkPair>): void {
  describe(`${name} link`, () => {
    let pair: LinkPair;
    afterEach(async () => {
      await pair?.cleanup();
    });

    test("delivers frames both ways, in order", async () => {
      pair = await makePair();
      const atAcceptor: string[] = [];
      const atDialer: string[] = [];
      pair.acceptor.onMessage((f) => atAcceptor.push(String(f)));
      pair.dialer.onMessage((f) => atDialer.push(String(f)));
      for (let i = 0; i < 200; i++) pair.dialer.send(`d${i}`);
      for (let i = 0; i < 200; i++) pair.acceptor.send(`a${i}`);
      await until(() => atAcceptor.length === 200 && atDialer.length === 200, "200 frames each way");
      expect(atAcceptor).toEqual(Array.from({ length: 200 }, (_, i) => `d${i}`));
      expect(atDialer).toEqual(Array.from({ length: 200 }, (_, i) => `a${i}`));
    });

    test("carries a large frame and multi-byte text intact", async () => {
      pair = await makePair();
      const got: string[] = [];
      pair.acceptor.onMessage((f) => got.push(String(f)));
      const big = `${"x".repeat(512 * 1024)}✓ ünïcödé 🧵`;
      pair.dialer.send(big);
      await until(() => got.length === 1, "the large frame");
      expect(got[0]).toBe(big);
    });

    test("keeps frames that arrive before anyone listens", async () => {
      pair = await makePair();
      pair.dialer.send("early-1");
      pair.dialer.send("early-2");
      await Bun.sleep(50);
      const got: string[] = [];
      pair.acceptor.onMessage((f) => got.push(String(f)));
      await until(() => got.length === 2, "the buffered frames");
      expect(got).toEqual(["early-1", "early-2"]);
    });

    test("a close is seen once on both ends, with its code and reason", async () => {
      pair = await makePair();
      const seen: Array<[string, LinkCloseInfo]> = [];
      pair.dialer.onClose((i) => seen.push(["dialer", i]));
      pair.acceptor.onClose((i) => seen.push(["acceptor", i]));
      pair.dialer.close(4000, "done here");
      pair.dialer.close(4001, "again");
      await until(() => seen.length === 2, "both ends to see the close");
      await Bun.sleep(20);
      expect(seen).toHaveLength(2);
      const acceptorSaw = seen.find(([who]) => who === "acceptor")?.[1];
      expect(acceptorSaw).toEqual({ code: 4000, reason: "done here" });
      expect(pair.dialer.isOpen).toBe(false);
      expect(pair.acceptor.isOpen).toBe(false);
    });

    test("refuses to send after close", async () => {
      pair = await makePair();
      pair.acceptor.close();
      await until(() => !pair.dialer.isOpen, "the dialer to see the close");
      expect(() => pair.dialer.send("late")).toThrow(LinkClosedError);
      expect(() => pair.acceptor.send("late")).toThrow(LinkClosedError);
    });

    test("says which way it was opened", async () => {
      pair = await makePair();
      expect(pair.dialer.direction).toBe("outbound");
      expect(pair.acceptor.direction).toBe("inbound");
      expect(pair.dialer.transport).toBe(pair.acceptor.transport);
    });
  });
}

/** A transport under test: one end to dial with, one listening at `address`, and how to tear down. */
export interface TransportHarness {
  dialing: Transport;
  listening: Transport;
  /** Where `listening` accepts. */
  address: string;
  /** An address of another transport's kind, which `dialing` must not claim. */
  foreignAddress: string;
  /** An address that takes the dial but never answers, when the transport can have one (a socket). */
  silentAddress?: string;
  cleanup(): void | Promise<void>;
}

/**
 * What every transport must do for the dialer: dial what it handles and refuse what it does not,
 * hand accepted links to its listener, honour an abort, and take a new dial after a link dropped.
 * The links it makes then run the link contract above.
 */
export function transportContract(name: string, makeHarness: () => Promise<TransportHarness>): void {
  /** Dials `h.address` and waits for the listener to see the other end. */
  async function linkedPair(h: TransportHarness, stopListening?: { stop?: () => void }): Promise<LinkPair> {
    const accepted: Link[] = [];
    const stop = h.listening.listen((link) => {
      accepted.push(link);
    });
    if (stopListening) stopListening.stop = stop;
    const dialer = await h.dialing.dial(h.address, { timeoutMs: 3000 });
    await until(() => accepted.length === 1, "the listener to accept");
    return { dialer, acceptor: accepted[0]!, cleanup: () => h.cleanup() };
  }

  linkContract(name, async () => linkedPair(await makeHarness()));

  describe(`${name} transport`, () => {
    let h: TransportHarness | undefined;
    afterEach(async () => {
      await h?.cleanup();
      h = undefined;
    });

    test("claims its own addresses and not another transport's", async () => {
      h = await makeHarness();
      expect(h.dialing.handles(h.address)).toBe(true);
      expect(h.dialing.handles(h.foreignAddress)).toBe(false);
      await expect(h.dialing.dial(h.foreignAddress)).rejects.toBeInstanceOf(DialError);
    });

    test("refuses a dial whose signal was already aborted, and makes no link", async () => {
      h = await makeHarness();
      const accepted: Link[] = [];
      h.listening.listen((link) => {
        accepted.push(link);
      });
      const abort = new AbortController();
      abort.abort();
      await expect(h.dialing.dial(h.address, { signal: abort.signal })).rejects.toMatchObject({
        code: "aborted",
      });
      await Bun.sleep(50);
      expect(accepted).toEqual([]);
    });

    test("gives up a dial in flight as soon as it is aborted, long before its timeout", async () => {
      h = await makeHarness();
      const accepted: Link[] = [];
      h.listening.listen((link) => {
        accepted.push(link);
      });
      const abort = new AbortController();
      const started = performance.now();
      // Somewhere that takes the dial and never answers; without one, the listening end itself,
      // aborted right after the dial began and before it could complete.
      const dialing = h.dialing.dial(h.silentAddress ?? h.address, {
        signal: abort.signal,
        timeoutMs: 10_000,
      });
      if (h.silentAddress) setTimeout(() => abort.abort(), 100);
      else abort.abort();
      await expect(dialing).rejects.toMatchObject({ code: "aborted" });
      expect(performance.now() - started).toBeLessThan(2_000);
      await Bun.sleep(20);
      expect(accepted).toEqual([]);
    });

    test("takes a new dial after a link dropped, and the new link carries frames", async () => {
      h = await makeHarness();
      const accepted: Link[] = [];
      h.listening.listen((link) => {
        accepted.push(link);
      });
      const first = await h.dialing.dial(h.address, { timeoutMs: 3000 });
      await until(() => accepted.length === 1, "the first link");
      accepted[0]!.close(1001, "going away");
      await until(() => !first.isOpen, "the drop to reach the dialer");
      const again = await h.dialing.dial(h.address, { timeoutMs: 3000 });
      await until(() => accepted.length === 2, "the second link");
      const got: string[] = [];
      accepted[1]!.onMessage((f) => got.push(String(f)));
      again.send("after the drop");
      await until(() => got.length === 1, "a frame on the new link");
      expect(got).toEqual(["after the drop"]);
      again.close();
    });

    test("stops handing links over once its listener stopped", async () => {
      h = await makeHarness();
      const handle: { stop?: () => void } = {};
      const pair = await linkedPair(h, handle);
      pair.dialer.close();
      handle.stop?.();
      await expect(h.dialing.dial(h.address, { timeoutMs: 3000 })).rejects.toBeInstanceOf(DialError);
    });
  });
}
