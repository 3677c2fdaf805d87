import { z } from "zod";

/**
 * The node's MCP endpoint as the local UI shows it (`GET /api/mcp`, docs/architecture.md, "Your
 * own agent over MCP"): where the user's own agent connects and a configuration to paste into it.
 */

/** One MCP server entry as MCP clients' `mcpServers` maps hold it: streamable HTTP or a command. */
export const mcpServerEntry = z.union([
  z.object({
    type: z.literal("http"),
    url: z.string(),
    headers: z.record(z.string(), z.string()),
  }),
  z.object({
    type: z.literal("stdio"),
    command: z.string(),
    args: z.array(z.string()),
  }),
]);
export type McpServerEntry = z.infer<typeof mcpServerEntry>;

/** `{ "mcpServers": { "weft": … } }`, ready to paste. */
export const mcpClientConfig = z.object({ mcpServers: z.record(z.string(), mcpServerEntry) });
export type McpClientConfig = z.infer<typeof mcpClientConfig>;

/** `GET /api/mcp`. */
export const mcpInfo = z.object({
  /** `http://127.0.0.1:<port>/mcp`. */
  url: z.string(),
  /** The bearer token from `<data dir>/mcp-token`: the user's own, shown only to this machine. */
  token: z.string(),
  /** Streamable HTTP with the `Authorization` header. */
  client_config: mcpClientConfig,
  /** For clients that only spawn servers: `weft mcp --data-dir <dir>`. */
  stdio_command: z.string(),
  stdio_config: mcpClientConfig,
});
export type McpInfo = z.infer<typeof mcpInfo>;
