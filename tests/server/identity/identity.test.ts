import { describe, expect, test } from "bun:test";
import { createPrivateKey, createPublicKey, sign as nativeSign, verify as nativeVerify } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as ed from "@noble/ed25519";
import { StartupError } from "../../../server/errors.ts";
import { loadOrCreateIdentity, verifySignature } from "../../../server/identity/identity.ts";
import { isNodeId, nodeIdFromPublicKey } from "../../../server/identity/node-id.ts";
import { tempDir } from "../../helpers/temp-dir.ts";

const keyFile = () => join(tempDir(), "identity.key");

function seedOf(pem: string): Uint8Array {
  const jwk = createPrivateKey(pem).export({ format: "jwk" });
  return new Uint8Array(Buffer.from(jwk.d!, "base64url"));
}

describe("node identity", () => {
  test("node_id is the first 16 characters of lowercase unpadded base32 of sha256(public key)", () => {
    // Expected values computed independently: base64.b32encode(hashlib.sha256(key).digest()).
    expect(nodeIdFromPublicKey(new Uint8Array(32))).toBe("mzuhvlpymk6xo3ep");
    expect(nodeIdFromPublicKey(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe("mmg42klgyqzwneis");
    expect(() => nodeIdFromPublicKey(new Uint8Array(31))).toThrow();
  });

  test("first start writes a PKCS#8 PEM key readable by its owner only", async () => {
    const path = keyFile();
    const id = await loadOrCreateIdentity(path);
    const pem = readFileSync(path, "utf8");
    expect(pem).toStartWith("-----BEGIN PRIVATE KEY-----");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(isNodeId(id.nodeId)).toBe(true);
    expect(id.nodeId).toBe(nodeIdFromPublicKey(id.publicKey));
    expect(Buffer.from(id.publicKeyBase64, "base64")).toEqual(Buffer.from(id.publicKey));
  });

  test("later starts reuse the same key pair", async () => {
    const path = keyFile();
    const first = await loadOrCreateIdentity(path);
    const before = readFileSync(path, "utf8");
    const second = await loadOrCreateIdentity(path);
    expect(second.nodeId).toBe(first.nodeId);
    expect(second.publicKeyBase64).toBe(first.publicKeyBase64);
    expect(readFileSync(path, "utf8")).toBe(before);
  });

  test("a key file loosened by another tool is tightened back to 0600", async () => {
    const path = keyFile();
    await loadOrCreateIdentity(path);
    Bun.spawnSync(["chmod", "644", path]);
    await loadOrCreateIdentity(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  test("the private key never appears when the identity is serialized", async () => {
    const path = keyFile();
    const id = await loadOrCreateIdentity(path);
    const seedB64 = Buffer.from(seedOf(readFileSync(path, "utf8"))).toString("base64");
    const text = JSON.stringify(id) + JSON.stringify({ ...id }) + String(id);
    expect(text).not.toContain(seedB64);
    expect(text).not.toContain("PRIVATE KEY");
    expect(JSON.parse(JSON.stringify(id))).toEqual({ node_id: id.nodeId, public_key: id.publicKeyBase64 });
  });

  test("a signature made with noble verifies with Bun's native Ed25519, and the reverse", async () => {
    const path = keyFile();
    const id = await loadOrCreateIdentity(path);
    const pem = readFileSync(path, "utf8");
    const seed = seedOf(pem);
    const message = new TextEncoder().encode("weft canonical bytes ✓");

    const nobleSig = await ed.signAsync(message, seed);
    const publicKeyObject = createPublicKey(createPrivateKey(pem));
    expect(nativeVerify(null, message, publicKeyObject, nobleSig)).toBe(true);
    expect(verifySignature(id.publicKey, message, nobleSig)).toBe(true);

    const nativeSig = id.sign(message);
    expect(await ed.verifyAsync(nativeSig, message, id.publicKey)).toBe(true);
    // Ed25519 is deterministic: both implementations produce the very same bytes.
    expect(Buffer.from(nativeSign(null, message, createPrivateKey(pem)))).toEqual(Buffer.from(nobleSig));
  });

  test("verification refuses a tampered message, a wrong key and malformed input", async () => {
    const id = await loadOrCreateIdentity(keyFile());
    const other = await loadOrCreateIdentity(keyFile());
    const message = new TextEncoder().encode("hello");
    const sig = id.sign(message);
    expect(verifySignature(id.publicKey, new TextEncoder().encode("hellO"), sig)).toBe(false);
    expect(verifySignature(other.publicKey, message, sig)).toBe(false);
    expect(verifySignature(id.publicKey, message, sig.slice(1))).toBe(false);
    expect(verifySignature(new Uint8Array(5), message, sig)).toBe(false);
  });

  test("an unreadable key file is a startup error, not a new identity", async () => {
    const path = keyFile();
    writeFileSync(path, "not a key");
    await expect(loadOrCreateIdentity(path)).rejects.toBeInstanceOf(StartupError);
    expect(readFileSync(path, "utf8")).toBe("not a key");
  });
});
