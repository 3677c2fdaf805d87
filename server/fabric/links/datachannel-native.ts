import type { DataChannel, PeerConnection, RtcConfig } from "node-datachannel";
import { platformTarget } from "../../version.ts";

/**
 * node-datachannel's native add-on (libdatachannel), loaded so that `bun build --compile` embeds
 * it. The package's own loader picks the add-on by package name at run time, which a compiled
 * binary cannot resolve; a `require` of the `.node` file whose path the build names is one the
 * bundler sees and embeds, so `dist/weft` needs nothing beside it. Loaded on first use only: a node
 * with WebRTC off never maps the library.
 */
export interface DataChannelNative {
  PeerConnection: new (peerName: string, config: RtcConfig) => PeerConnection;
  initLogger(level: "Verbose" | "Debug" | "Info" | "Warning" | "Error" | "Fatal", cb?: unknown): void;
  getLibraryVersion(): string;
  cleanup(): void;
}

export type { DataChannel, PeerConnection, RtcConfig };

/** WebRTC cannot run here: no add-on for this platform was built in, or it would not load. */
export class WebRtcUnavailableError extends Error {
  override readonly name = "WebRtcUnavailableError";
}

let loaded: DataChannelNative | undefined;
let failure: WebRtcUnavailableError | undefined;

/** The add-on, loaded once; throws `WebRtcUnavailableError` saying why it cannot be. */
export function dataChannelNative(): DataChannelNative {
  if (loaded) return loaded;
  if (failure) throw failure;
  try {
    loaded = loadForPlatform();
    return loaded;
  } catch (err) {
    failure =
      err instanceof WebRtcUnavailableError
        ? err
        : new WebRtcUnavailableError(`the WebRTC library did not load: ${(err as Error).message}`);
    throw failure;
  }
}

/**
 * node-datachannel's platform package for each `os-arch` weft is built for (server/version.ts
 * spells them); its add-on is `<package>/node_datachannel.node`. The build embeds the target's.
 */
export const DATACHANNEL_PACKAGES: Readonly<Record<string, string>> = {
  "linux-x64": "@node-datachannel/linux-x64-gnu",
  "linux-arm64": "@node-datachannel/linux-arm64-gnu",
  "darwin-arm64": "@node-datachannel/darwin-arm64",
  "darwin-x64": "@node-datachannel/darwin-x64",
  "windows-x64": "@node-datachannel/win32-x64-msvc",
};

// The add-on's path, set by scripts/build.ts (a `define`) for the target it builds; undeclared in
// a source run.
declare const WEFT_DATACHANNEL_ADDON: string | undefined;

function loadForPlatform(): DataChannelNative {
  // In a build this is a string literal: the bundler embeds exactly that file, the target's own,
  // and drops the source-run branch below, so no other platform's add-on (nor a lookup by package
  // name, which a compiled binary cannot do) is left in the binary.
  if (typeof WEFT_DATACHANNEL_ADDON === "string") return require(WEFT_DATACHANNEL_ADDON);
  // A source run: the platform package npm installed for this machine, looked up when first used.
  const target = platformTarget();
  const pkg = DATACHANNEL_PACKAGES[target];
  if (!pkg) throw new WebRtcUnavailableError(`this weft has no WebRTC library for ${target}`);
  return require(`${pkg}/node_datachannel.node`);
}
