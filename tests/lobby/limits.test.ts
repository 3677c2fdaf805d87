import { describe, expect, test } from "bun:test";
import { DEFAULT_LOBBY_LIMITS, parseLimitPairs, resolveLimits } from "../../lobby/limits.ts";
import { parseCli } from "../../server/cli/args.ts";
import { StartupError } from "../../server/errors.ts";

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(StartupError);
    return (err as Error).message;
  }
  throw new Error("expected a refusal");
}

describe("lobby limits", () => {
  test("the defaults are the documented ones", () => {
    expect(DEFAULT_LOBBY_LIMITS).toMatchObject({
      socketsPerIp: 64,
      maxNodes: 20_000,
      roomsPerHost: 16,
      registerTimeoutMs: 10_000,
      heartbeatMs: 25_000,
      silenceMs: 60_000,
      hostGraceMs: 30_000,
      sendBufferBytes: 8 * 1024 * 1024,
      relayFrameBytes: 1024 * 1024,
      relayBytesPerSec: 1024 * 1024,
      relayBytesBurst: 8 * 1024 * 1024,
      relayFramesPerSec: 2_000,
      relayDropsToClose: 1_000,
      controlPerSec: 20,
      controlBurst: 100,
      signalPerSec: 200,
      presenceTtlMs: 30_000,
    });
  });

  test("--limit overrides a limit, repeated flags each count, and they win over WEFT_LOBBY_LIMITS", () => {
    const cmd = parseCli(
      ["--lobby", "--limit", "relayFramesPerSec=200000", "--limit", "maxNodes=5"],
      { WEFT_LOBBY_LIMITS: "maxNodes=3,roomsPerHost=2" },
      false,
    );
    expect(cmd).toMatchObject({
      kind: "lobby",
      options: { limits: { relayFramesPerSec: 200_000, maxNodes: 5, roomsPerHost: 2 } },
    });
    expect(resolveLimits(cmd.kind === "lobby" ? cmd.options.limits : {}).socketsPerIp).toBe(64);
  });

  test("an unknown name or a bad value is refused with one line naming it", () => {
    expect(refusal(() => parseLimitPairs(["nope=1"], "--limit"))).toContain('unknown lobby limit "nope"');
    expect(refusal(() => parseLimitPairs(["maxNodes=-1"], "--limit"))).toContain(
      "maxNodes must be a whole number",
    );
    expect(refusal(() => parseLimitPairs(["maxNodes=1.5"], "--limit"))).toContain("maxNodes");
    expect(refusal(() => parseLimitPairs(["maxNodes"], "--limit"))).toContain("NAME=VALUE");
    expect(refusal(() => parseLimitPairs(["heartbeatMs=0"], "--limit"))).toContain("at least 1");
    // A lease shorter than a second would lapse between an instance's refreshes.
    expect(refusal(() => parseLimitPairs(["presenceTtlMs=500"], "--limit"))).toContain("at least 1000");
    expect(refusal(() => parseCli(["--lobby"], { WEFT_LOBBY_LIMITS: "a=1" }, false))).toContain(
      "WEFT_LOBBY_LIMITS",
    );
    expect(refusal(() => parseCli(["--limit", "maxNodes=1"], {}, false))).toContain("only for --lobby");
    expect(refusal(() => resolveLimits({ maxNodes: 0 }))).toContain("maxNodes");
  });
});
