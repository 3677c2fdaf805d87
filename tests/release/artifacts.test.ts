import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fetchAddon, releaseTarget } from "../../scripts/release-targets.ts";
import { bunSection, machOSignature, nativeObjectsIn, readHeader } from "./executable-format.ts";
import { artifact, EXPECTED, releaseDir, repo } from "./release-files.ts";

/**
 * Every release file checked the way the machine it is for would first look at it, from its
 * headers: the right format and CPU, the WebRTC add-on of that same machine inside (the only proof
 * here for macOS and Windows, which cannot run on this machine), and for macOS a signature that
 * covers every page. The files come from `bun run release`; nothing here builds them.
 */

describe("the release folder", () => {
  test("holds one executable per machine, named weft-<version>-<os>-<arch>, and SHA256SUMS", () => {
    const names = readdirSync(artifact(".")).sort();
    expect(names).toEqual([...EXPECTED.map((e) => e.file), "SHA256SUMS"].sort());
  });

  test("SHA256SUMS lists each executable with the SHA-256 of its bytes, as sha256sum -c reads it", async () => {
    const lines = readFileSync(artifact("SHA256SUMS"), "utf8").trimEnd().split("\n");
    expect(lines.map((l) => l.split("  ")[1]).sort()).toEqual(EXPECTED.map((e) => e.file).sort());
    for (const line of lines) {
      const [hex, file] = line.split("  ") as [string, string];
      const bytes = await Bun.file(join(releaseDir, file)).bytes();
      expect(new Bun.CryptoHasher("sha256").update(bytes).digest("hex")).toBe(hex);
    }
    // The tool the README points Linux and macOS people to agrees.
    const check = Bun.spawnSync(["sha256sum", "--check", "--strict", "SHA256SUMS"], { cwd: releaseDir });
    expect(check.stdout.toString()).toBe(EXPECTED.map((e) => `${e.file}: OK\n`).join(""));
    expect(check.exitCode).toBe(0);
  });
});

const an = (format: string) => (format === "ELF" ? `an ${format}` : `a ${format}`);

for (const want of EXPECTED) {
  describe(want.file, () => {
    let bytes: Uint8Array;
    beforeAll(() => {
      bytes = new Uint8Array(readFileSync(artifact(want.file)));
    });
    afterAll(() => {
      bytes = new Uint8Array(0); // five files of about 100 MB: keep one in memory at a time
    });

    test(`is ${an(want.format)} executable for ${want.cpu}`, () => {
      expect(readHeader(bytes)).toMatchObject({ format: want.format, cpu: want.cpu, kind: "executable" });
    });

    test(`embeds one native add-on, ${an(want.format)} library for ${want.cpu}: node-datachannel's for ${want.target}`, async () => {
      const { start, end } = bunSection(bytes);
      const embedded = nativeObjectsIn(bytes, start, end);
      // Exactly one: this machine's, and no other machine's beside it.
      expect(embedded.map(({ format, cpu, kind }) => ({ format, cpu, kind }))).toEqual([
        { format: want.format, cpu: want.cpu, kind: "library" },
      ]);
      // ...and it is byte for byte the add-on of the package the lock file pins for this target.
      const addon = new Uint8Array(readFileSync((await fetchAddon(releaseTarget(want.target), repo)).path));
      const at = embedded[0]!.offset;
      expect(Buffer.from(bytes.subarray(at, at + addon.length)).equals(addon)).toBe(true);
    });

    if (want.format === "Mach-O") {
      test("carries an ad-hoc signature whose SHA-256 page hashes match every page before it", () => {
        // macOS kills an arm64 program whose signature does not match its pages, and calls a
        // downloaded file with a broken signature damaged; an ad-hoc one is what the README's
        // "Open Anyway" / xattr steps then let run.
        const signature = machOSignature(bytes);
        expect(signature).toBeDefined();
        expect(signature!.adhoc).toBe(true);
        expect(signature!.codeLimit).toBe(signature!.signatureOffset);
        expect(signature!.pages).toBe(Math.ceil(signature!.codeLimit / 4096));
        expect(signature!.badPages).toBe(0);
      });
    }

    if (want.format === "PE") {
      test("is a console program, so a double-click opens the window that shows weft's log and stops it when closed", () => {
        // Subsystem 3 (console), not 2 (windowed): the README describes what this means.
        expect(readHeader(bytes)?.subsystem).toBe(3);
      });
    }
  });
}
