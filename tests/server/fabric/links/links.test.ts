import { expect, test } from "bun:test";
import { Hono } from "hono";
import { MemoryNetwork } from "../../../../server/fabric/links/memory-transport.ts";
import { createWebSocketTransport } from "../../../../server/fabric/links/websocket-transport.ts";
import { listen } from "../../../../server/http/listener.ts";
import { silentLogger } from "../../../../server/log.ts";
import { transportContract } from "./link-contract.ts";

transportContract("memory", async () => {
  const net = new MemoryNetwork();
  return {
    dialing: net.transport("memory://b"),
    listening: net.transport("memory://a"),
    address: "memory://a",
    foreignAddress: "ws://127.0.0.1:1/peer-ws",
    cleanup: () => {},
  };
});

transportContract("direct (WebSocket)", async () => {
  const listening = createWebSocketTransport();
  // The node's own listener, serving only the transport's endpoint.
  const server = listen({
    host: "127.0.0.1",
    port: 0,
    fallback: false,
    app: new Hono(),
    endpoints: listening.endpoint ? [listening.endpoint] : [],
    log: silentLogger,
  });
  // A TCP server that takes the connection and never answers the upgrade.
  const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  return {
    dialing: createWebSocketTransport(),
    listening,
    address: `ws://127.0.0.1:${server.port}/peer-ws`,
    foreignAddress: "memory://a",
    silentAddress: `ws://127.0.0.1:${silent.port}/peer-ws`,
    cleanup: () => {
      void server.stop(true);
      silent.stop(true);
    },
  };
});

test("dialing nothing, a bad address or a silent host fails with a typed reason", async () => {
  const transport = createWebSocketTransport();
  await expect(transport.dial("http://x/peer-ws")).rejects.toMatchObject({ code: "bad_address" });
  await expect(transport.dial("not a url")).rejects.toMatchObject({ code: "bad_address" });
  const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
  const port = closed.port;
  closed.stop(true);
  await expect(transport.dial(`ws://127.0.0.1:${port}/peer-ws`)).rejects.toMatchObject({
    code: "unreachable",
  });
  await expect(new MemoryNetwork().transport().dial("memory://nobody")).rejects.toMatchObject({
    code: "unreachable",
  });
});
