import { describe, expect, test } from "bun:test";
import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { defaultDataDir, openDataDir } from "../../server/data-dir.ts";
import { StartupError } from "../../server/errors.ts";
import { tempDir } from "../helpers/temp-dir.ts";

describe("data dir", () => {
  test("the platform default follows XDG, macOS and Windows conventions", () => {
    expect(defaultDataDir({ XDG_DATA_HOME: "/x" }, "linux")).toBe("/x/weft");
    expect(defaultDataDir({}, "linux")).toBe(join(homedir(), ".local/share/weft"));
    expect(defaultDataDir({}, "darwin")).toBe(join(homedir(), "Library/Application Support/weft"));
    expect(defaultDataDir({ APPDATA: "C:\\Users\\a\\AppData\\Roaming" }, "win32")).toContain("weft");
  });

  test("a missing dir is created with its plugins folder", () => {
    const dir = join(tempDir(), "a", "b");
    const { paths, release } = openDataDir(dir);
    expect(existsSync(paths.plugins)).toBe(true);
    release();
    expect(existsSync(paths.lock)).toBe(false);
  });

  test("a data dir locked by another running process is refused", () => {
    const dir = tempDir();
    const lockHolder = Bun.spawn(["sleep", "30"]);
    writeFileSync(join(dir, "weft.lock"), String(lockHolder.pid));
    expect(() => openDataDir(dir)).toThrow(`in use by another weft (pid ${lockHolder.pid})`);
    lockHolder.kill();
  });

  test("a data dir already open in this process is refused until released", () => {
    const dir = tempDir();
    const first = openDataDir(dir);
    expect(() => openDataDir(dir)).toThrow("in use by another weft in this process");
    first.release();
    openDataDir(dir).release();
  });

  test("a lock left by a crashed node is taken over", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "weft.lock"), "999999999");
    const { release } = openDataDir(dir);
    release();
  });

  test("a file where the dir should be, or an unwritable dir, is a startup error", () => {
    const file = join(tempDir(), "file");
    writeFileSync(file, "x");
    expect(() => openDataDir(file)).toThrow(StartupError);
    if (process.getuid?.() !== 0) {
      const ro = tempDir();
      chmodSync(ro, 0o500);
      expect(() => openDataDir(ro)).toThrow("not writable");
    }
    expect(() => openDataDir(join(file, "below"))).toThrow(StartupError);
  });
});
