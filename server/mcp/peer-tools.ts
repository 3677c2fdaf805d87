import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { PeerRow } from "../../protocol/network.ts";
import { nodeId } from "../../protocol/primitives.ts";
import type { AskPeer } from "./ask-peer.ts";
import { jsonResult, noSuchPeer, toolError } from "./tool-results.ts";

/** Longest question `ask_peer` passes on; a peer's agent reads text, not documents. */
export const MAX_PROMPT_CHARS = 32_000;

/** How long the result of `ask_peer` waits after its last progress notification. */
const PROGRESS_SETTLE_MS = 15;

/** What the peer tools read of the node: its peer rows and the injected way to ask an agent. */
export interface PeerToolDeps {
  self(): { node_id: string; name: string };
  /** Every known peer, as the Peers pane lists them. */
  peers(): readonly PeerRow[];
  peer(nodeId: string): PeerRow | undefined;
  /** What a connected peer listed in its hello; empty while it is offline. */
  capabilitiesOf(nodeId: string): readonly string[];
  askPeer: AskPeer;
}

/** A peer as an agent sees it: who, whether reachable, and how; no key, address or secret. */
function peerView(row: PeerRow, capabilities: readonly string[]) {
  return {
    node_id: row.node_id,
    name: row.node_name,
    status: row.status,
    transport: row.transport,
    trusted: row.trusted,
    blocked: row.blocked,
    capabilities: [...capabilities],
    last_seen: row.last_seen,
  };
}

const peerId = nodeId.describe("The peer's node id, as list_peers gives it");

export function registerPeerTools(server: McpServer, d: PeerToolDeps): void {
  server.registerTool(
    "list_peers",
    {
      title: "List peers",
      description:
        "The weft nodes this node knows: node id, name, whether connected now and over which transport, " +
        "and the capabilities each listed when it connected.",
      inputSchema: {},
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    () =>
      jsonResult({
        self: d.self(),
        peers: d.peers().map((row) => peerView(row, d.capabilitiesOf(row.node_id))),
      }),
  );

  server.registerTool(
    "ask_peer",
    {
      title: "Ask a peer's agent (sends your question to that peer)",
      description:
        "Sends a question to the agent of a connected peer, through the same checks as a question the " +
        "peer itself would receive, and returns its answer. Progress notifications carry the answer " +
        "as it arrives. The question leaves this machine.",
      inputSchema: {
        peer_id: peerId,
        prompt: z
          .string()
          .trim()
          .min(1, "prompt must not be empty")
          .max(MAX_PROMPT_CHARS, `prompt must be at most ${MAX_PROMPT_CHARS} characters`)
          .describe("The question, in plain text"),
      },
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: true,
      },
    },
    async ({ peer_id, prompt }, extra) => {
      const row = d.peer(peer_id);
      if (!row) return noSuchPeer(peer_id);
      if (row.status !== "connected") {
        return toolError(`no connected peer with node id ${peer_id}: ${row.node_name} is ${row.status}`);
      }
      const token = extra._meta?.progressToken;
      let progress = 0;
      // Chained so notifications leave in order, and all of them before the result.
      let sent: Promise<void> = Promise.resolve();
      const onProgress = (message: string) => {
        if (token === undefined) return;
        progress += 1;
        const params = { progressToken: token, progress, message };
        sent = sent
          .then(() => extra.sendNotification({ method: "notifications/progress", params }))
          .catch(() => {});
      };
      const result = await d.askPeer(peer_id, prompt, onProgress, extra.signal);
      await sent;
      // A client may handle a notification a tick after a response that came in the same read
      // (the SDK's own Client does, and then drops the progress as late); a pause lets the last
      // one travel on its own.
      if (progress > 0) await new Promise((r) => setTimeout(r, PROGRESS_SETTLE_MS));
      if (!result.ok) return toolError(result.error ?? `${row.node_name} gave no answer`);
      return jsonResult({ peer_id, name: row.node_name, answer: result.answer ?? "" });
    },
  );
}
