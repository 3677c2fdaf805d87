import { describe, expect, test } from "bun:test";
import { type CollabTab, collabTab } from "../../helpers/collab-tab.ts";
import { eventually, mintInvite, nodePool, pair, peerRow } from "../../helpers/peer-nodes.ts";
import { seededRandom } from "../../helpers/seeded-random.ts";

const pool = nodePool();
const ROOM = "scratch:main";
const SEED = Number(process.env.WEFT_TEST_SEED ?? 20261121);

describe("concurrent editing", () => {
  test(`two nodes × two tabs typing at random converge with every character kept (seed ${SEED})`, async () => {
    const [alice, bob] = [await pool.start(), await pool.start()];
    expect((await pair(bob, await mintInvite(alice))).body.ok).toBe(true);
    await eventually(() => peerRow(alice, bob.identity.nodeId)?.status === "connected", "the link");
    const a1 = await collabTab(alice.port, ROOM);
    a1.share();
    // On bob's side the room is alice's, by its address, and separate from bob's own.
    const shared = `${ROOM}@${alice.identity.nodeId}`;
    await eventually(() => bob.collab.room(shared) !== undefined, "the share");
    const tabs: CollabTab[] = [
      a1,
      await collabTab(alice.port, ROOM),
      await collabTab(bob.port, shared),
      await collabTab(bob.port, shared),
    ];

    const random = seededRandom(SEED);
    const EDITS = 150;
    const expected: string[] = [];
    // Each tab types its own alphabet, so every character is traceable to one keystroke.
    const alphabets = ["abcdefghij", "ABCDEFGHIJ", "klmnopqrst", "KLMNOPQRST"];
    for (let round = 0; round < EDITS; round++) {
      for (const [i, tab] of tabs.entries()) {
        const ch = alphabets[i]![round % 10]!;
        tab.insert(Math.floor(random() * (tab.text().length + 1)), ch);
        expected.push(ch);
      }
      // Yield now and then so frames interleave on the wire instead of arriving in one batch.
      if (round % 10 === 0) await Bun.sleep(0);
    }

    await eventually(() => new Set(tabs.map((t) => t.text())).size === 1, "all four tabs to agree", 10_000);
    const final = tabs[0]!.text();
    expect(final.length).toBe(expected.length);
    expect([...final].sort()).toEqual([...expected].sort());
    expect(alice.collab.room(ROOM)?.doc.getText("text").toString()).toBe(final);
    expect(bob.collab.room(shared)?.doc.getText("text").toString()).toBe(final);
  });
});
