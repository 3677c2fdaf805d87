import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { type OpenDatabase, openDatabase } from "../../../server/db/database.ts";
import { PeerStore } from "../../../server/fabric/peer-store.ts";
import { tempDir } from "../../helpers/temp-dir.ts";

const BOB = "bbbbbbbbbbbbbbbb";
let opened: OpenDatabase | undefined;

function store(): { peers: PeerStore; file: string } {
  const file = join(tempDir(), "weft.db");
  opened = openDatabase(file);
  return { peers: new PeerStore(opened.db), file };
}

afterEach(() => {
  opened?.close();
  opened = undefined;
});

const pairBob = (peers: PeerStore, address?: string) =>
  peers.trust({ nodeId: BOB, publicKey: "key-b", nodeName: "bob", via: "invite", address });

describe("peer store", () => {
  test("a peer paired, re-paired without an address and renamed reads back as stored", () => {
    const { peers } = store();
    expect(peers.get(BOB)).toBeUndefined();
    pairBob(peers, "ws://10.0.0.2:7420/peer-ws");
    peers.trust({ nodeId: BOB, publicKey: "other-key", nodeName: "bobby", via: "dialed" });
    const rec = peers.get(BOB);
    // Re-pairing keeps the pinned key and the last address, and takes the new name.
    expect(rec).toMatchObject({
      publicKey: "key-b",
      nodeName: "bobby",
      via: "invite",
      trusted: true,
      blocked: false,
      lastAddress: "ws://10.0.0.2:7420/peer-ws",
    });
    peers.touch(BOB, { address: "ws://10.0.0.3:7420/peer-ws", lastSeen: 42 });
    expect(peers.get(BOB)).toMatchObject({ lastAddress: "ws://10.0.0.3:7420/peer-ws", lastSeen: 42 });
    peers.touch(BOB, { nodeName: "robert", address: "ws://10.0.0.4:7420/peer-ws" });
    expect(peers.get(BOB)).toMatchObject({
      nodeName: "robert",
      lastAddress: "ws://10.0.0.4:7420/peer-ws",
      lastSeen: 42,
      trusted: true,
    });
    expect(peers.list().map((p) => p.nodeId)).toEqual([BOB]);
  });

  test("blocking, unblocking and forgetting a peer already read take effect on the next read", () => {
    const { peers } = store();
    pairBob(peers);
    expect(peers.get(BOB)?.blocked).toBe(false);
    expect(peers.setBlocked(BOB, true)).toBe(true);
    expect(peers.get(BOB)?.blocked).toBe(true);
    expect(peers.setBlocked(BOB, false)).toBe(true);
    expect(peers.get(BOB)?.blocked).toBe(false);
    expect(peers.forget(BOB)).toBe(true);
    expect(peers.get(BOB)).toBeUndefined();
  });

  test("changing a record it handed out changes nothing stored or read later", () => {
    const { peers, file } = store();
    pairBob(peers);
    const rec = peers.get(BOB)!;
    rec.blocked = true;
    rec.publicKey = "forged";
    expect(peers.get(BOB)).toMatchObject({ blocked: false, publicKey: "key-b" });
    // A second store over the same file sees what the first wrote, not what a caller scribbled.
    const second = openDatabase(file);
    expect(new PeerStore(second.db).get(BOB)).toMatchObject({ blocked: false, publicKey: "key-b" });
    second.close();
  });
});
