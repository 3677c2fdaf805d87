import { describe, expect, test } from "bun:test";
import { LobbyPeer } from "../helpers/lobby-peer.ts";
import { lobbyHarness } from "./lobby-harness.ts";

const h = lobbyHarness();
const ADDRESS = "ws://198.51.100.7:7420/peer-ws";

describe("the lobby's directory", () => {
  test("listed nodes appear to others live and disappear when they leave", async () => {
    const lobby = await h.lobby();
    const a = await h.node(lobby, { name: "Ada", addresses: [ADDRESS] });
    const b = await h.node(lobby, { name: "Bob", addresses: [ADDRESS] });
    expect(b.registeredFrame.directory.map((e) => e.node_id)).toEqual([a.id]);
    expect(b.registeredFrame.directory[0]).toMatchObject({
      node_name: "Ada",
      public_key: a.identity.publicKeyBase64,
    });
    const presence = await a.next("presence");
    expect(presence.node).toMatchObject({ node_id: b.id, node_name: "Bob", capabilities: ["chat"] });
    b.close();
    expect(await a.next("gone")).toEqual({ type: "gone", node_id: b.id });
    // The directory never tells where a node is.
    for (const text of [...a.texts, ...b.texts]) expect(text).not.toContain("198.51.100.7");
  });

  test("a node never finds itself in its own directory", async () => {
    const lobby = await h.lobby();
    const a = await h.node(lobby);
    expect(a.registeredFrame.directory).toEqual([]);
    await h.node(lobby);
    expect(await a.gets("presence")).toBe(true);
    expect(a.pending("presence")).toEqual([]);
  });

  test("an unlisted node is in no directory, and listing it later tells the others", async () => {
    const lobby = await h.lobby();
    const a = await h.node(lobby);
    const hidden = await h.node(lobby, { listed: false });
    expect(await a.gets("presence", 200)).toBe(false);
    const c = await h.node(lobby);
    expect(c.registeredFrame.directory.map((e) => e.node_id)).toEqual([a.id]);
    expect((await a.next("presence")).node.node_id).toBe(c.id);
    hidden.send({ type: "update", listed: true, node_name: "Now seen" });
    expect((await a.next("presence")).node).toMatchObject({ node_id: hidden.id, node_name: "Now seen" });
    hidden.send({ type: "update", listed: false });
    expect(await c.next("gone")).toEqual({ type: "gone", node_id: hidden.id });
    expect(await a.next("gone")).toEqual({ type: "gone", node_id: hidden.id });
    // Already gone from the directory: leaving the lobby tells no one again.
    hidden.close();
    expect(await a.gets("gone", 200)).toBe(false);
  });

  test("a renamed node is pushed again under its new name, its addresses still unpublished", async () => {
    const lobby = await h.lobby();
    const a = await h.node(lobby);
    const b = await h.node(lobby, { name: "before" });
    await a.next("presence");
    b.send({ type: "update", node_name: "after", addresses: [ADDRESS] });
    expect((await a.next("presence")).node.node_name).toBe("after");
    expect(a.texts.join("\n")).not.toContain("198.51.100.7");
    expect(await b.gets("presence", 200)).toBe(false);
  });

  test("a node replaced by its newer socket stays in the directory without a gone", async () => {
    const lobby = await h.lobby();
    const a = await h.node(lobby);
    const b = await h.node(lobby);
    await a.next("presence");
    const again = h.track(await LobbyPeer.connect(lobby.wsUrl, b.identity));
    await again.register();
    await b.waitClose();
    expect((await a.next("presence")).node.node_id).toBe(b.id);
    expect(await a.gets("gone", 200)).toBe(false);
    expect(lobby.health().nodes).toBe(2);
  });

  test("a node that would overfill the directory is registered but not listed, and told so", async () => {
    const lobby = await h.lobby({ directoryBytes: 400 });
    const a = await h.node(lobby);
    await h.node(lobby);
    await a.next("presence");
    const late = await h.node(lobby);
    expect(await late.next("error")).toMatchObject({ code: "limit", re: "register" });
    expect(await a.gets("presence", 200)).toBe(false);
    expect(late.registeredFrame.directory.length).toBe(2);
    // Still a member for everything else.
    late.send({ type: "signal", to: a.id, data: "hello" });
    expect((await a.next("signal")).from).toBe(late.id);
    late.send({ type: "update", listed: true });
    expect((await late.next("error")).re).toBe("update");
  });
});
