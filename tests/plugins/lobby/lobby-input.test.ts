import { describe, expect, test } from "bun:test";
import {
  checkLobbyUrl,
  checkOptionalToken,
  checkRoomId,
  checkRoomName,
  checkRoomToken,
} from "../../../plugins/lobby/lobby-input.ts";
import { lobbyClientEvent } from "../../../protocol/lobby-channel.ts";

function error(checked: { ok: boolean; error?: string }): string {
  return checked.ok ? "" : (checked.error ?? "");
}

describe("lobby input", () => {
  test("a lobby address may be ws, wss, http or https, and is trimmed", () => {
    for (const url of [
      "ws://lobby.example:7400",
      "wss://lobby.example",
      "http://10.0.0.5:7400",
      "https://l.example/",
    ]) {
      expect(checkLobbyUrl(`  ${url} `)).toEqual({ ok: true, value: url });
      expect(lobbyClientEvent.safeParse({ event: "connect", data: { url } }).success).toBe(true);
    }
  });

  test("anything else is refused with a sentence saying what a lobby address looks like", () => {
    expect(error(checkLobbyUrl(""))).toContain("Type");
    expect(error(checkLobbyUrl("lobby.example:7400"))).toContain("ws://");
    expect(error(checkLobbyUrl("ftp://lobby.example"))).toContain("ws://, wss://, http:// or https://");
    expect(error(checkLobbyUrl("not a url"))).toContain("ws://lobby.example:7400");
    expect(error(checkLobbyUrl(`ws://${"a".repeat(300)}.example`))).toContain("too long");
  });

  test("several instances of one lobby may be given, each checked, the bad one named", () => {
    const list = "ws://one.example:7400, ws://two.example:7400";
    expect(checkLobbyUrl(list)).toEqual({ ok: true, value: list });
    expect(lobbyClientEvent.safeParse({ event: "connect", data: { url: list } }).success).toBe(true);
    expect(error(checkLobbyUrl("ws://one.example, two.example"))).toBe(
      "two.example: Not an address: it should look like ws://lobby.example:7400.",
    );
    const nine = Array.from({ length: 9 }, (_, i) => `ws://i${i}.example`).join(" ");
    expect(error(checkLobbyUrl(nine))).toContain("At most 8 addresses");
  });

  test("a room name is trimmed and must fit the lobby's limit", () => {
    expect(checkRoomName("  Friday pairing ")).toEqual({ ok: true, value: "Friday pairing" });
    expect(error(checkRoomName("   "))).toContain("name");
    expect(checkRoomName("x".repeat(64)).ok).toBe(true);
    expect(error(checkRoomName("x".repeat(65)))).toContain("too long");
  });

  test("a room id pasted with spaces or capitals is read as the lowercase id", () => {
    const id = "0123456789abcdef0123456789abcdef";
    expect(checkRoomId(` ${id.slice(0, 16)} ${id.slice(16).toUpperCase()}\n`)).toEqual({
      ok: true,
      value: id,
    });
  });

  test("a room id of the wrong length or alphabet says which", () => {
    expect(error(checkRoomId(""))).toContain("Paste");
    expect(error(checkRoomId("abc"))).toContain("has 3");
    expect(error(checkRoomId("g".repeat(32)))).toContain("other characters");
  });

  test("a room token is 22 base64url characters", () => {
    const token = "Abcdefghij_klmnopq-rst";
    expect(checkRoomToken(` ${token} `)).toEqual({ ok: true, value: token });
    expect(error(checkRoomToken(""))).toContain("token");
    expect(error(checkRoomToken(token.slice(1)))).toContain("has 21");
    expect(error(checkRoomToken(`${token.slice(1)}+`))).toContain("other characters");
    expect(error(checkRoomToken(`${token}=`))).toContain("has 23");
  });

  test("the token of a join by id may be left blank, but not wrong", () => {
    expect(checkOptionalToken("  ")).toEqual({ ok: true, value: undefined });
    expect(checkOptionalToken("Abcdefghij_klmnopq-rst").ok).toBe(true);
    expect(checkOptionalToken("short").ok).toBe(false);
  });
});
