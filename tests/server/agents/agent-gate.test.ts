import { describe, expect, test } from "bun:test";
import { type GateInput, gate, PerPeerRate } from "../../../server/agents/agent-gate.ts";

/** The gate's order: each check with everything before it passing, and the rate spent only once reached. */
const SELF = "selfselfselfself";
function input(over: Partial<GateInput> = {}): GateInput & { rateTaken: () => number } {
  let taken = 0;
  return {
    selfId: SELF,
    trusted: true,
    allowRemote: true,
    originChain: ["askeraskeraskera"],
    prompt: "hi",
    takeRate: () => {
      taken += 1;
      return true;
    },
    policy: "ask",
    rateTaken: () => taken,
    ...over,
  };
}

describe("the gate on the node asked", () => {
  test("passes to the policy when every check holds: ask waits for the person, always goes on", () => {
    expect(gate(input())).toEqual({ approval: "ask" });
    expect(gate(input({ policy: "always" }))).toEqual({ approval: "always" });
  });

  test("refuses with the first check that fails, in the documented order", () => {
    const all = {
      trusted: false,
      allowRemote: false,
      originChain: [SELF, "a", "b", "c"],
      prompt: "x".repeat(20_000),
      policy: "never" as const,
    };
    expect(gate(input(all))).toEqual({ refused: "not trusted" });
    expect(gate(input({ ...all, trusted: true }))).toEqual({ refused: "disabled" });
    expect(gate(input({ ...all, trusted: true, allowRemote: true }))).toEqual({ refused: "loop" });
    const chain = ["a", "b", "c", "d"];
    expect(gate(input({ ...all, trusted: true, allowRemote: true, originChain: chain }))).toEqual({
      refused: "max peer hops",
    });
    const ok = { trusted: true, allowRemote: true, originChain: ["a", "b", "c"] };
    expect(gate(input({ ...all, ...ok, takeRate: () => false }))).toEqual({ refused: "rate limited" });
    expect(gate(input({ ...all, ...ok }))).toEqual({ refused: "prompt too large" });
    expect(gate(input({ ...ok, policy: "never" }))).toEqual({ refused: "rejected by policy" });
  });

  test("a question refused before the rate check spends none of the peer's rate", () => {
    const refusedEarly = input({ allowRemote: false });
    gate(refusedEarly);
    expect(refusedEarly.rateTaken()).toBe(0);
    const reached = input({ prompt: "x".repeat(20_000) });
    gate(reached);
    expect(reached.rateTaken()).toBe(1);
  });

  test("16 KiB is measured in UTF-8 bytes, not characters", () => {
    expect(gate(input({ prompt: "é".repeat(8 * 1024) }))).toEqual({ approval: "ask" });
    expect(gate(input({ prompt: "é".repeat(8 * 1024 + 1) }))).toEqual({ refused: "prompt too large" });
  });
});

describe("a peer's rate", () => {
  test("allows its limit in a sliding minute, per peer", () => {
    const rate = new PerPeerRate(() => 2);
    expect([rate.take("a", 0), rate.take("a", 10), rate.take("a", 20), rate.take("b", 20)]).toEqual([
      true,
      true,
      false,
      true,
    ]);
    expect(rate.take("a", 60_001)).toBe(true);
  });
});
