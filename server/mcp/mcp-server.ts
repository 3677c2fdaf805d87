import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WEFT_VERSION } from "../version.ts";
import { type ChatToolDeps, registerChatTools } from "./chat-tools.ts";
import { type PaneToolDeps, registerPaneTools } from "./pane-tools.ts";
import { type PeerToolDeps, registerPeerTools } from "./peer-tools.ts";

/** Everything the tools read or do on the node; each tool group takes its own part. */
export type McpToolDeps = PeerToolDeps & ChatToolDeps & PaneToolDeps;

const INSTRUCTIONS =
  "This is the user's own weft node. list_peers shows the nodes it is paired with; send_chat and " +
  "ask_peer send something to one of them, the other tools only read.";

/**
 * One MCP server with weft's tools. Each MCP session gets its own (the SDK's server speaks to one
 * transport), all over the same node parts.
 */
export function createMcpServer(deps: McpToolDeps): McpServer {
  const server = new McpServer(
    { name: "weft", title: "weft", version: WEFT_VERSION },
    { capabilities: { tools: {} }, instructions: INSTRUCTIONS },
  );
  registerPeerTools(server, deps);
  registerChatTools(server, deps);
  registerPaneTools(server, deps);
  return server;
}
