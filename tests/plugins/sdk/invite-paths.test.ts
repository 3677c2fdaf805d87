import { describe, expect, test } from "bun:test";
import { readInvite } from "../../../plugins/sdk/invites.ts";

const base = { n: "abcdefghijklmnop", k: Buffer.alloc(32, 7).toString("base64"), t: "A".repeat(22), e: 1 };
const encode = (payload: object) => `weft1.${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;

describe("an invite's preview", () => {
  test("lists the addresses of its typed paths, whatever their transport", () => {
    const invite = encode({
      ...base,
      p: [
        { transport: "direct", address: "ws://192.168.1.20:7420/peer-ws" },
        { transport: "relay", address: "wss://lobby.example/lobby-ws" },
      ],
    });
    expect(readInvite(invite)?.addresses).toEqual([
      "ws://192.168.1.20:7420/peer-ws",
      "wss://lobby.example/lobby-ws",
    ]);
  });

  test("reads the bare addresses of an invite minted before paths were typed", () => {
    expect(readInvite(encode({ ...base, a: ["ws://10.0.0.2:7420/peer-ws"] }))?.addresses).toEqual([
      "ws://10.0.0.2:7420/peer-ws",
    ]);
  });

  test("refuses an invite with no way to reach its issuer", () => {
    expect(readInvite(encode({ ...base, p: [] }))).toBeNull();
    expect(readInvite(encode(base))).toBeNull();
  });
});
