import { describe, expect, test } from "bun:test";
import {
  doneSteps,
  isNamed,
  nameProblem,
  nameStatus,
  pairedSummary,
  progressLabel,
} from "../../../plugins/welcome/welcome-steps.ts";

const unnamed = { stored: "", effective: "lab-pc" };

describe("the first-run checklist", () => {
  test("a brand-new node has nothing done and is told its host name stands in for a name", () => {
    const done = doneSteps({ name: unnamed, peers: [] });
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

  test("a first peer ticks the pairing step, and both together say so", () => {
    const one = doneSteps({ name: unnamed, peers: ["bob"] });
    expect([...one]).toEqual(["pair"]);
    expect(progressLabel(one)).toBe("1 of 2 done");
    const both = doneSteps({ name: { stored: "Ada", effective: "Ada" }, peers: ["bob"] });
    expect(progressLabel(both)).toBe("Named and paired: you are ready to work together");
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
