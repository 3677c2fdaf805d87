import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

/** A tool's answer: its JSON as text, which every MCP client shows and every model reads. */
export function jsonResult(value: unknown): CallToolResult {
  return { content: [{ type: "text", text: JSON.stringify(value, null, 2) }] };
}

/** A tool that could not do what it was asked: an MCP tool error with one sentence saying why. */
export function toolError(sentence: string): CallToolResult {
  return { content: [{ type: "text", text: sentence }], isError: true };
}

/** The sentence for a peer id this node does not know, shared by every tool that takes one. */
export function noSuchPeer(peerId: string): CallToolResult {
  return toolError(`no connected peer with node id ${peerId}; list_peers shows the peers this node knows`);
}
