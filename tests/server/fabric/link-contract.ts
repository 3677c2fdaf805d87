import { afterEach, describe, expect, test } from "bun:test";
import { type Link, LinkClosedError, type LinkCloseInfo } from "../../../server/fabric/link.ts";

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
