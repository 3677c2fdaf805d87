import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RunningNode } from "../../../server/node.ts";
import { collabTab } from "../../helpers/collab-tab.ts";
import { eventually, mintInvite, nodePool, pair, peerRow } from "../../helpers/peer-nodes.ts";
import { tempDir } from "../../helpers/temp-dir.ts";

const pool = nodePool();

/** A data dir holding a plugin pane whose rooms start shared. */
function dataDirWithAutoSharedPane(): string {
  const dataDir = join(tempDir(), "data");
  const pane = join(dataDir, "plugins", "notes");
  mkdirSync(pane, { recursive: true });
  writeFileSync(
    join(pane, "pane.json"),
    JSON.stringify({
      id: "notes",
      name: "Notes",
      version: "1.0.0",
      engine: ">=0.1.0",
      entry: "index.js",
      collab: { room: "shared", autoShare: true },
    }),
  );
  writeFileSync(join(pane, "index.js"), "export default { mount() { return () => {}; } };\n");
  return dataDir;
}

async function paired(aliceDir: string): Promise<[RunningNode, RunningNode]> {
  const alice = await pool.start({ dataDir: aliceDir, name: "alice" });
  const bob = await pool.start({ dataDir: dataDirWithAutoSharedPane() });
  expect((await pair(bob, await mintInvite(alice))).body.ok).toBe(true);
  await eventually(() => peerRow(alice, bob.identity.nodeId)?.status === "connected", "the link");
  return [alice, bob];
}

describe("autoShare", () => {
  test("a new room of an autoShare pane starts shared with connected peers, and an unshare sticks", async () => {
    const aliceDir = dataDirWithAutoSharedPane();
    const [alice, bob] = await paired(aliceDir);
    const notes = await collabTab(alice.port, "notes:main");
    await eventually(() => bob.notices.list().notices.some((n) => n.kind === "share_received"), "the notice");
    expect(bob.notices.list().notices[0]).toMatchObject({
      text: "alice shared Notes with you",
      action: { paneId: "notes", params: { room: `notes:main@${alice.identity.nodeId}` } },
    });

    notes.unshare();
    await eventually(() => alice.collab.room("notes:main")?.sharedWith.size === 0, "the unshare");
    notes.close();
    await pool.stop(alice);
    await pool.stop(bob);
    const alice2 = await pool.start({ dataDir: aliceDir });
    await collabTab(alice2.port, "notes:main");
    expect(alice2.collab.room("notes:main")?.sharedWith.size).toBe(0);
  });

  test("rooms of panes without autoShare start private", async () => {
    const [alice] = await paired(dataDirWithAutoSharedPane());
    await collabTab(alice.port, "scratch:main");
    expect(alice.collab.room("scratch:main")?.sharedWith.size).toBe(0);
  });
});
