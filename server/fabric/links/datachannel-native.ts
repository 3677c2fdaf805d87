import type { DataChannel, PeerConnection, RtcConfig } from "node-datachannel";

/**
 * node-datachannel's native add-on (libdatachannel), loaded so that `bun build --compile` embeds
 * it. The package's own loader picks the add-on by package name at run time, which a compiled
 * binary cannot resolve; a static `require` of the `.node` file is one the bundler sees and
 * embeds, so `dist/weft` needs nothing beside it. Loaded on first use only: a node with WebRTC off
 * never maps the library.
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

function loadForPlatform(): DataChannelNative {
  const target = `${process.platform}-${process.arch}`;
  // Each target's add-on is a static require, so a build for that target embeds exactly it.
  if (target === "linux-x64") return require("@node-datachannel/linux-x64-gnu/node_datachannel.node");
  throw new WebRtcUnavailableError(`this weft has no WebRTC library for ${target}`);
}
