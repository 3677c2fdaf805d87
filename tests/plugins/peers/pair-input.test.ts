import { describe, expect, test } from "bun:test";
import { checkAddress, checkInvite, failureHint, readInvite } from "../../../plugins/peers/pair-input.ts";

const payload = {
  n: "abcdefghijklmnop",
  k: Buffer.alloc(32, 7).toString("base64"),
  a: ["ws://192.168.1.20:7420/peer-ws"],
  t: "A".repeat(22),
  e: 1_800_000_000_000,
};
const invite = `weft1.${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;

describe("pairing input", () => {
  test("an invite is trimmed, line breaks from chat apps included", () => {
    expect(checkInvite(`  ${invite.slice(0, 20)}\n${invite.slice(20)}\n`)).toEqual({
      ok: true,
      value: invite,
    });
  });

  test("anything that is not a weft1 invite is refused before it is sent", () => {
    expect(checkInvite("").ok).toBe(false);
    expect(checkInvite("   ").ok).toBe(false);
    expect(checkInvite("weft2.abc").ok).toBe(false);
    expect(checkInvite("hello weft1.abc").ok).toBe(false);
    expect(checkInvite(`weft1.${"a".repeat(5000)}`).ok).toBe(false);
    const refused = checkInvite("https://example.com");
    expect(refused.ok ? "" : refused.error).toContain("weft1.");
  });

  test("a well-formed invite previews its issuer; a damaged one previews nothing", () => {
    expect(readInvite(invite)).toEqual({ nodeId: payload.n, addresses: payload.a, expires: payload.e });
    expect(readInvite("weft1.not-base64-json")).toBeNull();
    expect(readInvite(`weft1.${Buffer.from('{"n":1}').toString("base64url")}`)).toBeNull();
    expect(readInvite("weft2.abc")).toBeNull();
  });

  test("only ws and wss addresses with a host are dialed", () => {
    expect(checkAddress(" ws://10.0.0.2:7420/peer-ws ")).toEqual({
      ok: true,
      value: "ws://10.0.0.2:7420/peer-ws",
    });
    expect(checkAddress("wss://peer.example/peer-ws").ok).toBe(true);
    expect(checkAddress("").ok).toBe(false);
    expect(checkAddress("http://10.0.0.2:7420/peer-ws").ok).toBe(false);
    expect(checkAddress("10.0.0.2:7420").ok).toBe(false);
    expect(checkAddress(`ws://${"a".repeat(300)}`).ok).toBe(false);
  });

  test("the node's refusals come with a next step", () => {
    expect(failureHint("invite already used")).toContain("single-use");
    expect(failureHint("invite expired")).toContain("new invite");
    expect(failureHint("pairing required")).not.toBeNull();
    expect(failureHint("a different node answered at the invite's address")).not.toBeNull();
    expect(failureHint("cannot reach ws://10.0.0.2:7420/peer-ws")).toContain("unreachable");
    expect(failureHint("the invite is damaged: it does not decode")).toContain("again in full");
    expect(failureHint("something else entirely")).toBeNull();
  });
});
