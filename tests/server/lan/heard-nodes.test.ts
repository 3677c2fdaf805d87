import { describe, expect, test } from "bun:test";
import { NEARBY_MAX } from "../../../protocol/lan.ts";
import { PROTOCOL_VERSION } from "../../../protocol/version.ts";
import { HeardNodes } from "../../../server/lan/heard-nodes.ts";
import { instanceName } from "../../../server/lan/lan-discovery.ts";
import type { HeardService } from "../../../server/lan/mdns.ts";

const SELF = "aaaaaaaaaaaaaaaa";
const ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";
/** A distinct node id for each number (base 32 in the node id alphabet). */
const idOf = (n: number) => {
  let id = "";
  for (let i = 0; i < 16; i++, n = Math.floor(n / 32)) id = ALPHABET[n % 32] + id;
  return id.replace(/^a/, "b");
};
const service = (over: Partial<HeardService> & { txt?: unknown } = {}): HeardService => ({
  fqdn: "bob (bbbbbbbb)._weft._tcp.local",
  txt: { id: "bbbbbbbbbbbbbbbb", name: "bob", v: String(PROTOCOL_VERSION) },
  port: 7420,
  from: "192.168.1.20",
  ...over,
});

describe("what a node hears on the LAN", () => {
  test("a well-formed answer lists the node at the address the packet came from", () => {
    const heard = new HeardNodes(SELF);
    const got = heard.hear(service(), 1000);
    expect(got).toMatchObject({ change: "added", node: { nodeId: "bbbbbbbbbbbbbbbb", name: "bob" } });
    expect(heard.list()[0]?.address).toBe("ws://192.168.1.20:7420/peer-ws");
  });

  test("records that are not a weft node's are refused and nothing is listed", () => {
    const heard = new HeardNodes(SELF);
    const v = String(PROTOCOL_VERSION);
    const bad: HeardService[] = [
      service({ txt: undefined }),
      service({ txt: "id=bbbbbbbbbbbbbbbb" }),
      service({ txt: { name: "bob", v } }),
      service({ txt: { id: "not-a-node-id", name: "bob", v } }),
      service({ txt: { id: "BBBBBBBBBBBBBBBB", name: "bob", v } }),
      service({ txt: { id: "bbbbbbbbbbbbbbbb", name: "x".repeat(65), v } }),
      service({ txt: { id: "bbbbbbbbbbbbbbbb", v } }),
      service({ txt: { id: "bbbbbbbbbbbbbbbb", name: "bob", v: "one" } }),
      service({ txt: { id: "bbbbbbbbbbbbbbbb", name: "bob" } }),
      service({ port: 0 }),
      service({ port: 70_000 }),
      service({ port: "7420" }),
      service({ from: undefined }),
      service({ from: "fe80::1" }),
      service({ from: "not an address" }),
    ];
    for (const s of bad) expect(heard.hear(s, 1)).toBe("malformed");
    expect(heard.hear(service({ txt: { id: "bbbbbbbbbbbbbbbb", name: "bob", v: "999" } }), 1)).toBe(
      "version",
    );
    expect(heard.list()).toEqual([]);
  });

  test("control characters in a name are taken out before it is shown", () => {
    const heard = new HeardNodes(SELF);
    const txt = { id: "bbbbbbbbbbbbbbbb", name: " bob\u0000\u001b[31m ", v: String(PROTOCOL_VERSION) };
    heard.hear(service({ txt }), 1);
    expect(heard.list()[0]?.name).toBe("bob[31m");
  });

  test("this node's own announcement is not listed", () => {
    const heard = new HeardNodes(SELF);
    expect(heard.hear(service({ txt: { id: SELF, name: "me", v: String(PROTOCOL_VERSION) } }), 1)).toBe(
      "self",
    );
    expect(heard.list()).toEqual([]);
  });

  test(`the list holds at most ${NEARBY_MAX} nodes, and those already in it stay`, () => {
    const heard = new HeardNodes(SELF);
    const v = String(PROTOCOL_VERSION);
    for (let i = 0; i < NEARBY_MAX + 20; i++) {
      heard.hear(service({ fqdn: `n${i}._weft._tcp.local`, txt: { id: idOf(i), name: `n${i}`, v } }), i);
    }
    expect(heard.list()).toHaveLength(NEARBY_MAX);
    expect(heard.hear(service({ fqdn: "late", txt: { id: idOf(999), name: "late", v } }), 1)).toBe("full");
    // A node already listed is still heard when the list is full.
    expect(
      heard.hear(service({ fqdn: "n0._weft._tcp.local", txt: { id: idOf(0), name: "n0", v } }), 5),
    ).toMatchObject({
      change: "seen",
    });
  });

  test("a node that says goodbye leaves the list, and one that went silent leaves it too", () => {
    const heard = new HeardNodes(SELF);
    const v = String(PROTOCOL_VERSION);
    heard.hear(service(), 1000);
    heard.hear(
      service({ fqdn: "carol._weft._tcp.local", txt: { id: "cccccccccccccccc", name: "carol", v } }),
      5000,
    );
    expect(heard.lose("bob (bbbbbbbb)._weft._tcp.local")?.nodeId).toBe("bbbbbbbbbbbbbbbb");
    expect(heard.list().map((n) => n.name)).toEqual(["carol"]);
    expect(heard.lose("someone else._weft._tcp.local")).toBeUndefined();
    expect(heard.expire(6000).map((n) => n.name)).toEqual(["carol"]);
    expect(heard.list()).toEqual([]);
  });

  test("a node heard at a new address or name is told as changed", () => {
    const heard = new HeardNodes(SELF);
    heard.hear(service(), 1);
    expect(heard.hear(service(), 2)).toMatchObject({ change: "seen" });
    expect(heard.hear(service({ from: "192.168.1.21" }), 3)).toMatchObject({ change: "changed" });
  });

  test("the instance name a browser shows has the name and a short id, and fits one DNS label", () => {
    expect(instanceName("alice", "abcdefghijklmnop")).toBe("alice (abcdefgh)");
    expect(instanceName("a.b.c", "abcdefghijklmnop")).toBe("a b c (abcdefgh)");
    expect(instanceName("", "abcdefghijklmnop")).toBe("weft (abcdefgh)");
    expect(Buffer.byteLength(instanceName("é".repeat(64), "abcdefghijklmnop"))).toBeLessThanOrEqual(63);
  });
});
