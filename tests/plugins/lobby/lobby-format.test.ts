import { describe, expect, test } from "bun:test";
import {
  keyFingerprint,
  lobbyStatusLabel,
  lobbyStatusTone,
  maskToken,
  membersLabel,
  policyForGuest,
  policyLabel,
  retryCountdown,
  roomLabel,
  visibilityLabel,
} from "../../../plugins/lobby/lobby-format.ts";
import { lobbyStatus } from "../../../protocol/lobby-channel.ts";

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);

describe("lobby formatting", () => {
  test("every status has words and a tone; only a working link is green", () => {
    for (const status of lobbyStatus.options) expect(lobbyStatusLabel(status).length).toBeGreaterThan(0);
    expect(lobbyStatusTone("connected")).toBe("ok");
    expect(lobbyStatusTone("retrying")).toBe("bad");
    expect(lobbyStatusTone("off")).toBe("idle");
  });

  test("the countdown to the next try rounds up and reads in seconds, then minutes", () => {
    expect(retryCountdown(NOW + 11_200, NOW)).toBe("next try in 12 s");
    expect(retryCountdown(NOW + 125_000, NOW)).toBe("next try in 2 min 5 s");
    expect(retryCountdown(NOW + 120_000, NOW)).toBe("next try in 2 min");
    expect(retryCountdown(NOW - 1, NOW)).toBe("trying again now");
    expect(retryCountdown(null, NOW)).toBe("trying again soon");
  });

  test("a retry time in seconds is read as seconds", () => {
    expect(retryCountdown(NOW / 1000 + 30, NOW)).toBe("next try in 30 s");
  });

  test("a key's fingerprint is its first 16 characters", () => {
    const key = Buffer.alloc(32, 200).toString("base64");
    expect(keyFingerprint(key)).toBe(key.slice(0, 16));
    expect(keyFingerprint(key)).toHaveLength(16);
  });

  test("rooms are described from the host's side and the guest's", () => {
    expect(policyLabel("open")).toBe("You accept each guest");
    expect(policyLabel("token")).toBe("Guests need the token");
    expect(policyForGuest("token")).toBe("Needs a token");
    expect(visibilityLabel("unlisted")).toBe("Unlisted");
    expect(membersLabel(1)).toBe("1 member");
    expect(membersLabel(3)).toBe("3 members");
    expect(roomLabel("Friday", "a".repeat(32))).toBe("“Friday”");
    expect(roomLabel(null, "0123456789abcdef0123456789abcdef")).toBe("room 01234567…");
  });

  test("a masked token keeps its length and shows none of it", () => {
    const token = "Abcdefghij_klmnopq-rst";
    expect(maskToken(token)).toHaveLength(token.length);
    expect(maskToken(token)).not.toMatch(/[A-Za-z0-9_-]/);
  });
});
