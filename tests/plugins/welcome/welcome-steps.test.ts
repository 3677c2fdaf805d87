import { describe, expect, test } from "bun:test";
import {
  doneSteps,
  isNamed,
  nameProblem,
  nameStatus,
  pairedSummary,
  progressLabel,
  sharesANote,
} from "../../../plugins/welcome/welcome-steps.ts";

const unnamed = { stored: "", effective: "lab-pc" };

describe("the first-run checklist", () => {
  test("a brand-new node has nothing done and is told its host name stands in for a name", () => {
    const done = doneSteps({ name: unnamed, peers: [], shared: false });
    expect([...done]).toEqual([]);
    expect(progressLabel(done)).toBe("Nothing done yet");
    expect(nameStatus(unnamed)).toBe("Until you choose one, peers see this computer's name, “lab-pc”.");
  });

  test("choosing a name, here or with --name, ticks the first step", () => {
    expect(isNamed({ stored: "Ada", effective: "Ada" })).toBe(true);
    expect(isNamed({ stored: "  ", effective: "lab-pc" })).toBe(false);
    const flagged = { stored: "", effective: "alice", overriddenBy: "--name" };
    expect(isNamed(flagged)).toBe(true);
    expect(nameStatus(flagged)).toContain("set by --name for this run");
    expect(nameStatus({ stored: "Ada", effective: "Ada" })).toBe("Peers see you as “Ada”.");
  });

  test("a first peer ticks the pairing step, and all three together say so", () => {
    const one = doneSteps({ name: unnamed, peers: ["bob"], shared: false });
    expect([...one]).toEqual(["pair"]);
    expect(progressLabel(one)).toBe("1 of 3 done");
    const two = doneSteps({ name: { stored: "Ada", effective: "Ada" }, peers: ["bob"], shared: false });
    expect(progressLabel(two)).toBe("2 of 3 done");
    const all = doneSteps({ name: { stored: "Ada", effective: "Ada" }, peers: ["bob"], shared: true });
    expect(progressLabel(all)).toBe("All done: you are working together");
  });

  test("only a note of this node's own, shared with someone, counts as sharing", () => {
    const bob = { node_id: "b", node_name: "bob" };
    expect(sharesANote([])).toBe(false);
    expect(sharesANote([{ owner: null, sharedWith: [] }])).toBe(false);
    expect(sharesANote([{ owner: bob, sharedWith: [] }])).toBe(false);
    expect(
      sharesANote([
        { owner: null, sharedWith: [] },
        { owner: null, sharedWith: [bob] },
      ]),
    ).toBe(true);
  });

  test("a name is checked as the setting checks it", () => {
    expect(nameProblem("   ")).toBe("Type a name first.");
    expect(nameProblem("x".repeat(65))).toBe("A name has at most 64 characters.");
    expect(nameProblem(` ${"x".repeat(64)} `)).toBeNull();
  });

  test("the people you are paired with are named, with a count past two", () => {
    expect(pairedSummary([])).toBe("Not paired with anyone yet.");
    expect(pairedSummary(["bob"])).toBe("Paired with bob.");
    expect(pairedSummary(["bob", ""])).toBe("Paired with bob and an unnamed node.");
    expect(pairedSummary(["bob", "carol", "dave"])).toBe("Paired with bob, carol and 1 other.");
    expect(pairedSummary(["bob", "carol", "dave", "eve"])).toBe("Paired with bob, carol and 2 others.");
  });
});
