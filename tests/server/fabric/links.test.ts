import { expect, test } from "bun:test";
import type { Link } from "../../../server/fabric/link.ts";
import { DialError } from "../../../server/fabric/link.ts";
import { MemoryNetwork } from "../../../server/fabric/transports/memory-transport.ts";
import {
  createWebSocketTransport,
  InboundWebSocketLink,
} from "../../../server/fabric/transports/websocket-transport.ts";
import { linkContract } from "./link-contract.ts";

linkContract("memory", async () => {
  const net = new MemoryNetwork();
  let acceptor: Link | undefined;
  net.listen("memory://a", (link) => {
    acceptor = link;
  });
  const dialer = await net.transport().dial("memory://a");
  return { dialer, acceptor: acceptor!, cleanup: () => {} };
});

linkContract("direct (WebSocket)", async () => {
  let acceptor: InboundWebSocketLink | undefined;
  const server = Bun.serve<{ link?: InboundWebSocketLink }>({
    port: 0,
    hostname: "127.0.0.1",
    fetch: (req, srv) => (srv.upgrade(req, { data: {} }) ? undefined : new Response("no", { status: 400 })),
    websocket: {
      maxPayloadLength: 2 * 1024 * 1024,
      open(ws) {
        ws.data.link = new InboundWebSocketLink(ws);
        acceptor = ws.data.link;
      },
      message(ws, raw) {
        ws.data.link?.received(typeof raw === "string" ? raw : new Uint8Array(raw));
      },
      close(ws, code, reason) {
        ws.data.link?.ended(code, reason);
      },
    },
  });
  const dialer = await createWebSocketTransport().dial(`ws://127.0.0.1:${server.port}/peer-ws`);
  const deadline = Date.now() + 2000;
  while (!acceptor && Date.now() < deadline) await Bun.sleep(1);
  return { dialer, acceptor: acceptor!, cleanup: () => server.stop(true) };
});

test("dialing nothing, a bad address or a silent host fails with a typed reason", async () => {
  const transport = createWebSocketTransport();
  await expect(transport.dial("http://x/peer-ws")).rejects.toMatchObject({ code: "bad_address" });
  await expect(transport.dial("not a url")).rejects.toBeInstanceOf(DialError);
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
