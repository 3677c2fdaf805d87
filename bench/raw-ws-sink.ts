/**
 * The raw side of `bench/fabric.ts --two-process`: a Bun WebSocket server in its own process that
 * counts what arrives on `/sink` and tells the count to anyone who sends `count` on `/count`, the
 * way the sealed figure reads the receiving binary's counters over its `/ws`. Prints its port.
 *
 *   bun bench/raw-ws-sink.ts
 */
import type { ServerWebSocket } from "bun";

let received = 0;
const server = Bun.serve<{ path: string }>({
  hostname: "127.0.0.1",
  port: 0,
  fetch(req, srv) {
    const path = new URL(req.url).pathname;
    return srv.upgrade(req, { data: { path } }) ? undefined : new Response("upgrade", { status: 426 });
  },
  websocket: {
    maxPayloadLength: 16 * 1024 * 1024,
    message(ws: ServerWebSocket<{ path: string }>, _msg) {
      if (ws.data.path === "/sink") received++;
      else ws.send(String(received));
    },
  },
});
console.log(server.port);
