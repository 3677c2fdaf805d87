import type { Hono } from "hono";
import type { ChatService } from "../chat/chat-service.ts";
import type { CollabService } from "../collab/collab-service.ts";
import type { PeerHub } from "../fabric/peer-hub.ts";
import type { HttpEnv } from "../http/context.ts";
import type { Logger } from "../log.ts";
import type { PaneCatalog } from "../panes/pane-catalog.ts";
import type { AskPeer } from "./ask-peer.ts";
import { mcpInfoRoutes, mcpRoutes } from "./mcp-routes.ts";
import { createMcpServer, type McpToolDeps } from "./mcp-server.ts";
import { type McpSessionLimits, McpSessions } from "./mcp-sessions.ts";
import { loadOrCreateMcpToken } from "./mcp-token.ts";

/** The node's parts the MCP endpoint is built over; `node.ts` hands them in. */
export interface McpEndpointDeps {
  dataDir: string;
  nodeId: string;
  nodeName(): string;
  /** The node's own loopback URL once it listens, `http://127.0.0.1:<port>/`. */
  baseUrl(): string;
  port(): number;
  hub: PeerHub;
  chat: ChatService;
  collab: CollabService;
  panes: PaneCatalog;
  askPeer: AskPeer;
  log: Logger;
  isCompiled: boolean;
  limits?: McpSessionLimits;
}

/** The MCP endpoint as the node mounts it: `/mcp`, `/api/mcp`, and the sessions to close on stop. */
export interface McpEndpoint {
  /** Mounted at `/mcp`. */
  app: Hono<HttpEnv>;
  /** Mounted at `/api/mcp`. */
  info: Hono<HttpEnv>;
  sessions: McpSessions;
  close(): Promise<void>;
}

/** Reads (or makes) the token and builds the tools over the node's services. */
export function createMcpEndpoint(d: McpEndpointDeps): McpEndpoint {
  const token = loadOrCreateMcpToken(d.dataDir);
  const self = () => ({ node_id: d.nodeId, name: d.nodeName() });
  const tools: McpToolDeps = {
    self,
    peers: () => d.hub.rows(),
    peer: (id) => d.hub.row(id),
    capabilitiesOf: (id) => d.hub.session(id)?.capabilities ?? [],
    askPeer: d.askPeer,
    chat: d.chat,
    collab: d.collab,
    roomPanes: () =>
      d.panes
        .list()
        .filter((p) => p.collab !== undefined && d.panes.usable(p.id) !== undefined)
        .map((p) => ({ id: p.id, title: p.title })),
  };
  const sessions = new McpSessions(() => createMcpServer(tools), d.log, d.limits);
  const url = () => `${d.baseUrl()}mcp`;
  return {
    app: mcpRoutes({ token, port: d.port, sessions, log: d.log }),
    info: mcpInfoRoutes({ token, url, dataDir: d.dataDir, isCompiled: d.isCompiled }),
    sessions,
    close: () => sessions.close(),
  };
}
