import { describe, expect, test } from "bun:test";
import {
  JOIN_ORDER,
  joinStepLabel,
  joinStepLines,
  laterStep,
  type StepSource,
  transportLabel,
} from "../../../plugins/lobby/lobby-steps.ts";
import { joinStep } from "../../../protocol/lobby-channel.ts";

function source(over: Partial<StepSource>): StepSource {
  return { step: "joining", reached: "joining", seen: [], policy: "open", transport: null, ...over };
}

function phases(over: Partial<StepSource>): Record<string, string> {
  return Object.fromEntries(joinStepLines(source(over)).map((l) => [l.step, l.phase]));
}

describe("join steps", () => {
  test("the list follows the wire's steps in the order a join goes through them", () => {
    expect([...JOIN_ORDER, "failed"].sort()).toEqual([...joinStep.options].sort());
    expect(JOIN_ORDER).toEqual([
      "joining",
      "room_info",
      "waiting_for_host",
      "dialing_direct",
      "webrtc",
      "relay",
      "connected",
    ]);
  });

  test("every step has words, in progress while current and past once done", () => {
    for (const step of joinStep.options) {
      expect(joinStepLabel(step).length).toBeGreaterThan(0);
      expect(joinStepLabel(step, true).length).toBeGreaterThan(0);
    }
    expect(joinStepLabel("waiting_for_host", true)).toBe("Waiting for the host to accept");
    expect(joinStepLabel("relay")).toBe("Relayed through the lobby");
  });

  test("a late step cannot move a join backwards", () => {
    expect(laterStep("dialing_direct", "room_info")).toBe("dialing_direct");
    expect(laterStep("room_info", "relay")).toBe("relay");
  });

  test("the current step is marked, those before it done and those after still to come", () => {
    expect(phases({ step: "dialing_direct", reached: "dialing_direct", seen: ["waiting_for_host"] })).toEqual(
      {
        joining: "done",
        room_info: "done",
        waiting_for_host: "done",
        dialing_direct: "current",
        webrtc: "todo",
        relay: "todo",
        connected: "todo",
      },
    );
    const lines = joinStepLines(source({ step: "room_info", reached: "room_info" }));
    expect(lines.find((l) => l.phase === "current")?.label).toBe("Finding the host");
  });

  test("a token room has no wait for the host unless the node reports one", () => {
    const steps = (over: Partial<StepSource>) =>
      joinStepLines(source({ policy: "token", ...over })).map((l) => l.step);
    expect(steps({})).not.toContain("waiting_for_host");
    expect(steps({ seen: ["waiting_for_host"] })).toContain("waiting_for_host");
    expect(joinStepLines(source({ policy: null })).map((l) => l.step)).toContain("waiting_for_host");
  });

  test("a failure is drawn at the step it stopped at", () => {
    const at = phases({ step: "failed", reached: "relay", seen: ["dialing_direct", "relay"] });
    expect(at.relay).toBe("failed");
    expect(
      joinStepLines(source({ step: "failed", reached: "relay" })).find((l) => l.phase === "failed")?.label,
    ).toBe("Linking through the lobby's relay");
    expect(at.dialing_direct).toBe("done");
    expect(at.connected).toBe("todo");
    expect(at.waiting_for_host).toBe("skipped");
  });

  test("a direct link skipped WebRTC and the relay; a relayed one ticks the others only if they were tried", () => {
    expect(phases({ step: "connected", reached: "connected", transport: "direct" })).toMatchObject({
      dialing_direct: "done",
      webrtc: "skipped",
      relay: "skipped",
      connected: "done",
      waiting_for_host: "skipped",
    });
    expect(
      phases({ step: "connected", reached: "connected", transport: "relay", seen: ["waiting_for_host"] }),
    ).toEqual({
      joining: "done",
      room_info: "done",
      waiting_for_host: "done",
      dialing_direct: "skipped",
      webrtc: "skipped",
      relay: "done",
      connected: "done",
    });
    // Linked peer to peer after direct was tried: the relay was never needed.
    expect(
      phases({
        step: "connected",
        reached: "connected",
        transport: "webrtc",
        seen: ["dialing_direct", "webrtc"],
      }),
    ).toMatchObject({ dialing_direct: "done", webrtc: "done", relay: "skipped" });
    expect(
      phases({ step: "connected", reached: "connected", transport: "relay", seen: ["dialing_direct"] }),
    ).toMatchObject({ dialing_direct: "done", relay: "done" });
  });

  test("the transport is said in words", () => {
    expect(transportLabel("relay")).toBe("relayed through the lobby");
    expect(transportLabel("direct")).toBe("direct");
    expect(transportLabel("webrtc")).toBe("peer to peer (WebRTC)");
    expect(transportLabel("quic")).toBe("quic");
    expect(transportLabel(null)).toBe("over an unnamed path");
  });
});
