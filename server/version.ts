import pkg from "../package.json" with { type: "json" };

/** The weft release this binary is; reported by `--version` and `/api/health`. */
export const WEFT_VERSION: string = pkg.version;

// Set by scripts/build.ts (a `define`); undeclared when the source runs under `bun server/main.ts`.
declare const WEFT_BUILD_TARGET: string | undefined;

/**
 * The `os-arch` a machine is, spelled as release files name it: `linux-x64`, `darwin-arm64`,
 * `windows-x64` (Windows is `win32` to Node, which no one downloading a file would look for).
 */
export function platformTarget(platform: string = process.platform, arch: string = process.arch): string {
  return `${platform === "win32" ? "windows" : platform}-${arch}`;
}

/**
 * The `os-arch` this binary was built for, or `source` when no build made it: a source run is
 * whatever machine it is on, which `--version` says beside it.
 */
export const WEFT_TARGET: string = typeof WEFT_BUILD_TARGET === "string" ? WEFT_BUILD_TARGET : "source";
