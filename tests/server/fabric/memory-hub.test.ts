import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { z } from "zod";
import { openDatabase } from "../../../server/db/database.ts";
import { createFabric } from "../../../server/fabric/fabric.ts";
import { MemoryNetwork } from "../../../server/fabric/links/memory-transport.ts";
import { loadOrCreateIdentity } from "../../../server/identity/identity.ts";
import { silentLogger } from "../../../server/log.ts";
import { networkSettings } from "../../../server/settings/network-settings.ts";
import { SettingsRegistry } from "../../../server/settings/registry.ts";
import { SettingsStore } from "../../../server/settings/settings-store.ts";
import { eventually } from "../../helpers/peer-nodes.ts";
import { tempDir } from "../../helpers/temp-dir.ts";

async function memoryNode(net: MemoryNetwork, name: string) {
  const dir = tempDir();
  const identity = await loadOrCreateIdentity(join(dir, "identity.key"));
  const { db } = openDatabase(join(dir, "weft.db"));
  const settings = new SettingsStore(db, new SettingsRegistry().declare(...networkSettings));
  const address = `memory://${name}`;
  const fabric = createFabric({
    db,
    identity,
    settings,
    log: silentLogger,
    nodeName: () => name,
    addresses: () => [address],
    transports: [net.transport(address)],
  });
  fabric.start();
  return { identity, fabric, address };
}

describe("the fabric core over the in-memory transport", () => {
  test("pairs with a token, exchanges a feature message and says goodbye, with no socket involved", async () => {
    const net = new MemoryNetwork();
    const alice = await memoryNode(net, "alice");
    const bob = await memoryNode(net, "bob");
    const got: string[] = [];
    alice.fabric.hub.handle("note", z.object({ text: z.string() }), (_peer, data) => {
      got.push(data.text);
    });
    const { token } = alice.fabric.invites.mint();
    const row = await bob.fabric.hub.dial(alice.address, { expectKey: alice.identity.publicKey, token });
    expect(row).toMatchObject({ node_id: alice.identity.nodeId, status: "connected", transport: "memory" });
    await eventually(
      () => alice.fabric.hub.row(bob.identity.nodeId)?.status === "connected",
      "alice to link",
    );

    expect(bob.fabric.hub.sendRaw(alice.identity.nodeId, "note", { text: "hello over memory" })).toBe(true);
    await eventually(() => got.length === 1, "the note");
    expect(got).toEqual(["hello over memory"]);

    bob.fabric.stop();
    await eventually(
      () => alice.fabric.hub.row(bob.identity.nodeId)?.status === "offline",
      "goodbye to land",
    );
    alice.fabric.stop();
  });
});
