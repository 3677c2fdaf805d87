import { resolve } from "node:path";
import type { Readable, Writable } from "node:stream";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import {
  ErrorCode,
  isInitializeRequest,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  type RequestId,
} from "@modelcontextprotocol/sdk/types.js";
import { isAlive } from "../data-dir.ts";
import { readMcpToken } from "./mcp-token.ts";
import { readNodeRecord } from "./node-record.ts";

export interface McpBridgeIo {
  stdin: Readable;
  stdout: Writable;
  /** One line for the person who started the bridge (stdout is the MCP stream). */
  say(line: string): void;
}

const PROBE_TIMEOUT_MS = 3_000;

/**
 * `weft mcp`: an MCP server on stdio that is the node running on `dataDir`, for clients that only
 * spawn servers. It finds the node by `<data dir>/node.json` and the token in `mcp-token`, and
 * passes every message unchanged between the SDK's stdio server transport and its Streamable
 * HTTP client transport, so the client talks to the node's own `/mcp` session (tools, progress,
 * cancellation) and the bridge holds no state of its own. Returns the exit code: 0 once stdin
 * ends, 2 when no node runs there.
 */
export async function runMcpBridge(dataDirArg: string, io: McpBridgeIo = processIo()): Promise<number> {
  const dataDir = resolve(dataDirArg);
  const notRunning = () => {
    io.say(`weft mcp: no weft node is running on ${dataDir} (start one with: weft --data-dir ${dataDir})`);
    return 2;
  };
  const record = readNodeRecord(dataDir);
  if (!record || !isAlive(record.pid)) return notRunning();
  const token = readMcpToken(dataDir);
  if (!token) {
    io.say(`weft mcp: ${dataDir} has no mcp-token; a node started there makes one`);
    return 2;
  }
  // A record left by a node that died with its pid reused, or a port taken over, answers nothing.
  if (!(await answers(new URL("api/health", record.url)))) return notRunning();

  const http = new StreamableHTTPClientTransport(new URL("mcp", record.url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const stdio = new StdioServerTransport(io.stdin, io.stdout);
  const initializing = new Set<RequestId>();

  stdio.onmessage = (message) => {
    if (isJSONRPCRequest(message) && isInitializeRequest(message)) initializing.add(message.id);
    http.send(message).catch((err: Error) => {
      io.say(`weft mcp: the node at ${record.url} did not take a message: ${err.message}`);
      // The client waits for an answer to a request: it gets the reason instead of a hang.
      if (isJSONRPCRequest(message)) {
        void stdio.send(failure(message.id, `the weft node did not answer: ${err.message}`));
      }
    });
  };
  http.onmessage = (message) => {
    // The HTTP transport names the negotiated version on later requests, as the SDK's Client does.
    if (isJSONRPCResultResponse(message) && initializing.delete(message.id)) {
      const version = message.result.protocolVersion;
      if (typeof version === "string") http.setProtocolVersion(version);
    }
    void stdio.send(message);
  };
  http.onerror = (err) => io.say(`weft mcp: ${err.message}`);

  const ended = new Promise<void>((done) => {
    io.stdin.once("end", done);
    io.stdin.once("close", done);
    stdio.onclose = done;
  });
  await http.start();
  await stdio.start();
  await ended;
  // The node's session goes with the client, rather than waiting out its idle time.
  await http.terminateSession().catch(() => {});
  await http.close();
  await stdio.close();
  return 0;
}

function failure(id: RequestId, message: string): JSONRPCMessage {
  return { jsonrpc: "2.0", id, error: { code: ErrorCode.InternalError, message } };
}

async function answers(url: URL): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

function processIo(): McpBridgeIo {
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    say: (line) => process.stderr.write(`${line}\n`),
  };
}
