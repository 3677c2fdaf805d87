import { describe, expect, test } from "bun:test";
import { checkAddress, failureHint } from "../../../plugins/peers/pair-input.ts";
import {
  checkInvite,
  DAMAGED_INVITE,
  inviteIssuer,
  inviteProblem,
  readInvite,
} from "../../../plugins/sdk/invites.ts";
import type { PeerRow } from "../../../protocol/network.ts";

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
    expect(readInvite(invite)).toEqual({
      nodeId: payload.n,
      name: null,
      addresses: payload.a,
      expires: payload.e,
    });
    const named = `weft1.${Buffer.from(JSON.stringify({ ...payload, m: " alice " })).toString("base64url")}`;
    expect(readInvite(named)?.name).toBe("alice");
    expect(readInvite("weft1.not-base64-json")).toBeNull();
    expect(readInvite(`weft1.${Buffer.from('{"n":1}').toString("base64url")}`)).toBeNull();
    expect(readInvite("weft2.abc")).toBeNull();
  });

  test("an invite that does not decode is refused with one message before anything is dialed", () => {
    const garbled = [
      "weft1.",
      "weft1.not-base64-json",
      "weft1.%%%%",
      `weft1.${Buffer.from("hello").toString("base64url")}`,
      `weft1.${Buffer.from("[1,2]").toString("base64url")}`,
      `weft1.${Buffer.from('{"n":"abc","e":1}').toString("base64url")}`,
      invite.slice(0, invite.length - 12),
    ];
    for (const text of garbled) expect(checkInvite(text)).toEqual({ ok: false, error: DAMAGED_INVITE });
  });

  test("an own or expired invite says why it cannot be redeemed", () => {
    const preview = readInvite(invite)!;
    expect(inviteProblem(preview, "someoneelse00000", payload.e - 1)).toBeNull();
    expect(inviteProblem(preview, payload.n, payload.e - 1)).toContain("own invite");
    expect(inviteProblem(preview, "someoneelse00000", payload.e)).toBe(
      "This invite has expired. Ask its sender for a new one.",
    );
  });

  test("the preview names the sender when already met, else gives their short id as a person's", () => {
    const preview = readInvite(invite)!;
    expect(inviteIssuer(preview, [])).toBe("From someone new, whose node ID starts abcdefgh");
    const known = { node_id: payload.n, node_name: "Alice" } as PeerRow;
    expect(inviteIssuer(preview, [known])).toBe("From Alice, already one of your peers");
    expect(inviteIssuer({ ...preview, name: "alice" }, [])).toBe(
      "From alice (node ID abcdefgh…), new to you",
    );
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
