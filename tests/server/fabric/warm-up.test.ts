import { describe, expect, test } from "bun:test";
import { generateKeyPairSync } from "node:crypto";
import { join } from "node:path";
import { SelfTestError, warmUpFabric } from "../../../server/fabric/warm-up.ts";
import { NodeIdentity } from "../../../server/identity/identity.ts";
import type { Logger } from "../../../server/log.ts";
import { startNode } from "../../../server/node.ts";
import { tempDir } from "../../helpers/temp-dir.ts";

const limits = { maxFrameBytes: 1024 * 1024, maxJsonDepth: 32 };

function keyPair() {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const raw = new Uint8Array(Buffer.from(publicKey.export({ format: "jwk" }).x ?? "", "base64url"));
  return { raw, privateKey };
}

describe("start-up warm-up", () => {
  test("a sound identity pairs with a throwaway one in memory and opens the frame it sealed", async () => {
    const { raw, privateKey } = keyPair();
    expect(await warmUpFabric(new NodeIdentity(raw, privateKey), limits)).toBeUndefined();
  });

  test("an identity whose private key does not match its public key fails the self-test, saying why", async () => {
    const mine = keyPair();
    const other = keyPair();
    const broken = new NodeIdentity(mine.raw, other.privateKey);
    const failure = await warmUpFabric(broken, limits).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(SelfTestError);
    expect((failure as Error).message).toContain("in-memory pairing failed");
  });

  test("a started node runs the self-test once it listens and logs no error", async () => {
    const errors: string[] = [];
    const log: Logger = { error: (m) => errors.push(m), warn() {}, info() {}, debug() {} };
    const node = await startNode(
      {
        port: 0,
        portExplicit: true,
        host: "127.0.0.1",
        dataDir: join(tempDir(), "data"),
        name: "warm",
        logLevel: "error",
      },
      log,
    );
    try {
      await node.warmedUp;
      expect(errors).toEqual([]);
      // The throwaway node it paired with in memory was never stored or shown.
      expect(node.fabric.peers.list()).toEqual([]);
      expect(node.fabric.hub.rows()).toEqual([]);
    } finally {
      await node.stop();
    }
  });
});
