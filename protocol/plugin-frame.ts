import { z } from "zod";
import { pluginPermission } from "./plugin.ts";

/**
 * The messages between the workspace and a third-party pane's sandboxed frame (docs/architecture.md,
 * "Plugins in a sandbox"). The frame has an opaque origin and reaches nothing of the node; the
 * workspace hands it one MessagePort and answers only what is listed here. Everything the frame
 * sends is parsed with `frameMessage` before it is looked at: the plugin's code is a stranger's.
 */

/** The window message that hands the frame its port; sent once, after the frame's first load. */
export const FRAME_CONNECT = "weft:plugin-connect";

const shortText = (max: number) => z.string().max(max);

/** What a frame may ask of the workspace. */
export const frameMessage = z.discriminatedUnion("t", [
  /** A frame on the `/ws` channel, for its own rooms only (`collab`). */
  z.object({
    t: z.literal("send"),
    channel: shortText(40),
    event: shortText(40),
    data: z.unknown(),
  }),
  /** Starts passing the channel's frames on (`collab` for its own rooms, `system` for the welcome). */
  z.object({ t: z.literal("subscribe"), channel: shortText(40) }),
  z.object({ t: z.literal("badge"), count: z.number().int().min(0).max(1_000_000) }),
  /** Opens this same pane (another of its rooms); another pane's id is refused. */
  z.object({
    t: z.literal("open"),
    paneId: shortText(40),
    params: z.record(shortText(40), shortText(400)).optional(),
  }),
  z.object({ t: z.literal("command-add"), id: shortText(60), title: z.string().min(1).max(80) }),
  z.object({ t: z.literal("command-remove"), id: shortText(60) }),
  /** A shell shortcut pressed while the frame has focus (Ctrl/⌘ with K, W or \). */
  z.object({
    t: z.literal("key"),
    key: shortText(20),
    ctrl: z.boolean(),
    meta: z.boolean(),
    shift: z.boolean(),
    alt: z.boolean(),
  }),
  /** The person clicked or tabbed into the frame: its column becomes the active one. */
  z.object({ t: z.literal("focus") }),
  /** The pane is on screen. */
  z.object({ t: z.literal("mounted") }),
  /** The plugin threw (loading, mounting or later); its frame shows this with a Retry. */
  z.object({ t: z.literal("failed"), message: shortText(2000), stack: shortText(8000).optional() }),
  /** A call that needs a permission; answered with `result` of the same id. */
  z.object({
    t: z.literal("call"),
    id: z.number().int().min(0),
    method: z.enum(["peers", "notify", "send-chat"]),
    text: shortText(4000).optional(),
  }),
]);
export type FrameMessage = z.infer<typeof frameMessage>;
export type FrameCallMethod = Extract<FrameMessage, { t: "call" }>["method"];

/** The node's welcome as a frame sees it: who this node is, nothing else. */
export const frameNodeInfo = z.object({ node_id: z.string(), node_name: z.string(), version: z.string() });
export type FrameNodeInfo = z.infer<typeof frameNodeInfo>;

export const frameConnection = z.enum(["connecting", "connected", "offline"]);

/** What the workspace tells a frame. */
export const hostMessage = z.discriminatedUnion("t", [
  z.object({
    t: z.literal("init"),
    pluginId: z.string(),
    instanceId: z.string(),
    paneKey: z.string().optional(),
    node: frameNodeInfo.nullable(),
    connection: frameConnection,
    /** `light`, `dark` or `system`: set as `data-theme` on the frame's document. */
    theme: z.string(),
    granted: z.array(pluginPermission),
  }),
  z.object({ t: z.literal("frame"), channel: z.string(), event: z.string(), data: z.unknown() }),
  z.object({ t: z.literal("connection"), state: frameConnection }),
  z.object({ t: z.literal("reconnect"), restarted: z.boolean() }),
  z.object({ t: z.literal("theme"), theme: z.string() }),
  z.object({ t: z.literal("run-command"), id: z.string() }),
  z.object({
    t: z.literal("result"),
    id: z.number(),
    ok: z.boolean(),
    value: z.unknown().optional(),
    error: z.string().optional(),
  }),
]);
export type HostMessage = z.infer<typeof hostMessage>;
