import { describe, expect, test } from "bun:test";
import { LobbyPeer, newIdentity } from "../helpers/lobby-peer.ts";
import { lobbyHarness } from "./lobby-harness.ts";

const h = lobbyHarness();
const ADDRESS = "ws://198.51.100.7:7420/peer-ws";
/** Longer than a flush of directory deltas (100 ms by default) takes to come. */
const PAST_A_FLUSH = 250;

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
    const entry = await a.untilListed(b.id);
    expect(entry).toMatchObject({ node_id: b.id, node_name: "Bob", capabilities: ["chat"] });
    b.close();
    await a.untilGone(b.id);
    expect(a.othersListed()).toEqual([]);
    // The directory never tells where a node is.
    for (const text of [...a.texts, ...b.texts]) expect(text).not.toContain("198.51.100.7");
    expect(a.malformed).toEqual([]);
  });

  test("a node's registration never lists itself, and its own listing reaches it only as others see it", async () => {
    const lobby = await h.lobby();
    const a = await h.node(lobby);
    expect(a.registeredFrame.directory).toEqual([]);
    const b = await h.node(lobby);
    expect(b.registeredFrame.directory.map((e) => e.node_id)).toEqual([a.id]);
    await a.untilListed(b.id);
    await Bun.sleep(PAST_A_FLUSH);
    // One delta a node is sent to all: a may find itself in it, exactly as b lists it.
    expect(a.othersListed()).toEqual([b.id]);
    for (const c of a.changesAbout(a.id)) expect(c.listed).toEqual(b.directory.get(a.id)!);
    expect(b.othersListed()).toEqual([a.id]);
  });

  test("an unlisted node is in no directory, and listing it later tells the others", async () => {
    const lobby = await h.lobby();
    const a = await h.node(lobby);
    const hidden = await h.node(lobby, { listed: false });
    await Bun.sleep(PAST_A_FLUSH);
    expect(a.changesAbout(hidden.id)).toEqual([]);
    const c = await h.node(lobby);
    expect(c.registeredFrame.directory.map((e) => e.node_id)).toEqual([a.id]);
    await a.untilListed(c.id);
    hidden.send({ type: "update", listed: true, node_name: "Now seen" });
    await a.untilListed(hidden.id, (e) => e.node_name === "Now seen");
    hidden.send({ type: "update", listed: false });
    await c.untilGone(hidden.id);
    await a.untilGone(hidden.id);
    const told = a.changesAbout(hidden.id).length;
    // Already gone from the directory: leaving the lobby tells no one again.
    hidden.close();
    await Bun.sleep(PAST_A_FLUSH);
    expect(a.changesAbout(hidden.id).length).toBe(told);
    expect(a.othersListed()).toEqual([c.id]);
  });

  test("a renamed node is pushed again under its new name, its addresses still unpublished", async () => {
    const lobby = await h.lobby();
    const a = await h.node(lobby);
    const b = await h.node(lobby, { name: "before" });
    await a.untilListed(b.id);
    await Bun.sleep(PAST_A_FLUSH);
    const heard = b.changesAbout(a.id).length;
    b.send({ type: "update", node_name: "after", addresses: [ADDRESS] });
    await a.untilListed(b.id, (e) => e.node_name === "after");
    expect(a.texts.join("\n")).not.toContain("198.51.100.7");
    await Bun.sleep(PAST_A_FLUSH);
    // The renamed node hears nothing new of a, which did not change.
    expect(b.changesAbout(a.id).length).toBe(heard);
    expect(b.texts.join("\n")).not.toContain("198.51.100.7");
  });

  test("a node replaced by its newer socket stays in the directory without a gone", async () => {
    const lobby = await h.lobby();
    const a = await h.node(lobby);
    const b = await h.node(lobby);
    await a.untilListed(b.id);
    const before = a.changesAbout(b.id).length;
    const again = h.track(await LobbyPeer.connect(lobby.wsUrl, b.identity));
    await again.register();
    await b.waitClose();
    await a.until(() => a.changesAbout(b.id).length > before, "b listed again");
    await Bun.sleep(PAST_A_FLUSH);
    expect(a.changesAbout(b.id).every((c) => c.listed !== null)).toBe(true);
    expect(a.othersListed()).toEqual([b.id]);
    expect(lobby.health().nodes).toBe(2);
  });

  test("a node that would overfill the directory is registered but not listed, and told so", async () => {
    const lobby = await h.lobby({ directoryBytes: 400 });
    const a = await h.node(lobby);
    const b = await h.node(lobby);
    await a.untilListed(b.id);
    const late = await h.node(lobby);
    expect(await late.next("error")).toMatchObject({ code: "limit", re: "register" });
    await Bun.sleep(PAST_A_FLUSH);
    expect(a.changesAbout(late.id)).toEqual([]);
    expect(late.registeredFrame.directory.length).toBe(2);
    // Still a member for everything else.
    late.send({ type: "signal", to: a.id, data: "hello" });
    expect((await a.next("signal")).from).toBe(late.id);
    late.send({ type: "update", listed: true });
    expect((await late.next("error")).re).toBe("update");
  });

  test("a wave of registrations reaches every node in a few frames, not one per arrival", async () => {
    const lobby = await h.lobby();
    const first = await h.node(lobby);
    await Bun.sleep(PAST_A_FLUSH);
    const before = first.directoryFrames;
    const keys = await Promise.all(Array.from({ length: 40 }, () => newIdentity()));
    const wave = await Promise.all(
      keys.map(async (key) => h.track((await LobbyPeer.registered(lobby.wsUrl, {}, key)).peer)),
    );
    const ids = wave.map((p) => p.id).sort();
    await first.until(() => first.othersListed().length === ids.length, "the whole wave listed");
    expect(first.othersListed()).toEqual(ids);
    await Bun.sleep(PAST_A_FLUSH);
    // Each arrival alone would be 40 frames to each node; gathered, they are a handful.
    expect(first.directoryFrames - before).toBeLessThan(20);
    expect(lobby.counters().directoryFlushes).toBeLessThan(20);
    // Every node of the wave ends up with all the others, whenever it registered.
    for (const p of wave)
      expect(p.othersListed()).toEqual([first.id, ...ids.filter((id) => id !== p.id)].sort());
  });

  test("a node registering between two flushes misses nothing and keeps no one who left", async () => {
    const lobby = await h.lobby({ directoryFlushMs: 1_000 });
    // a's own listing goes out at once; what follows waits for the interval's end, together.
    const a = await h.node(lobby);
    // Within that interval: x comes, y comes, x goes, then z registers, then w comes.
    const x = await h.node(lobby);
    const y = await h.node(lobby);
    x.close();
    await x.waitClose();
    while (lobby.health().nodes !== 2) await Bun.sleep(5);
    const z = await h.node(lobby);
    expect(z.registeredFrame.directory.map((e) => e.node_id).sort()).toEqual([a.id, y.id].sort());
    const w = await h.node(lobby);
    await z.untilListed(w.id, undefined, 3_000);
    await a.untilListed(w.id, undefined, 3_000);
    expect(z.othersListed()).toEqual([a.id, y.id, w.id].sort());
    expect(a.othersListed()).toEqual([y.id, z.id, w.id].sort());
    // x came and went between a's flushes: a never heard of it, or heard it go.
    expect(a.changesAbout(x.id).at(-1)?.listed ?? null).toBeNull();
    expect(z.changesAbout(x.id).at(-1)?.listed ?? null).toBeNull();
  });
});
