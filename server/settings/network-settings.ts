import { z } from "zod";
import { defineSetting } from "./registry.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

/** The node's own settings (docs/architecture.md); the peer fabric honours them. */
export const nodeName = defineSetting({
  key: "network.nodeName",
  schema: z.string().trim().max(64, "at most 64 characters"),
  default: "",
  description: "Name shown to peers. Blank uses this machine's host name.",
});

export const advertisedAddress = defineSetting({
  key: "network.advertisedAddress",
  schema: z
    .string()
    .trim()
    .refine(
      (v) => v === "" || /^wss?:\/\/[^\s/]+(\/\S*)?$/.test(v),
      "must be a ws:// or wss:// URL, or blank",
    ),
  default: "",
  description:
    "URL peers dial to reach this node, put into invites. Blank lists this machine's LAN addresses.",
});

export const trustMode = defineSetting({
  key: "network.trustMode",
  schema: z.enum(["manual", "directory", "open-lan"]),
  default: "manual",
  description:
    "Who may pair: manual (an invite the first time), directory (admitted by a lobby room), open-lan (anyone).",
});

export const enableDirect = defineSetting({
  key: "network.enableDirect",
  schema: z.boolean(),
  default: true,
  description: "Accept and dial direct WebSocket links on /peer-ws.",
});

export const maxFrameBytes = defineSetting({
  key: "network.maxFrameBytes",
  schema: z
    .int()
    .min(4 * KiB)
    .max(16 * MiB),
  default: 1 * MiB,
  description: "Largest frame a peer may send, in bytes; larger frames are dropped.",
});

export const maxJsonDepth = defineSetting({
  key: "network.maxJsonDepth",
  schema: z.int().min(4).max(256),
  default: 32,
  description: "Deepest JSON nesting accepted in a peer frame.",
});

export const rateLimitPerSec = defineSetting({
  key: "network.rateLimitPerSec",
  schema: z.int().min(1).max(1_000_000),
  default: 2_000,
  description: "Frames per second a peer may send on average before it is throttled.",
});

export const rateLimitBurst = defineSetting({
  key: "network.rateLimitBurst",
  schema: z.int().min(1).max(10_000_000),
  default: 10_000,
  description: "Frames a peer may send in one burst above the average rate.",
});

export const maxPendingHandshakes = defineSetting({
  key: "network.maxPendingHandshakes",
  schema: z.int().min(1).max(4_096),
  default: 64,
  description:
    "Peer sockets that may be in their handshake at once; more are refused with 503 until some finish.",
});

export const maxPendingHandshakesPerAddress = defineSetting({
  key: "network.maxPendingHandshakesPerAddress",
  schema: z.int().min(1).max(1_024),
  default: 8,
  description: "Peer sockets one address (an IPv6 /64) may have in their handshake at once.",
});

export const networkSettings = [
  nodeName,
  advertisedAddress,
  trustMode,
  enableDirect,
  maxFrameBytes,
  maxJsonDepth,
  rateLimitPerSec,
  rateLimitBurst,
  maxPendingHandshakes,
  maxPendingHandshakesPerAddress,
];
