import { existsSync, unlinkSync } from "node:fs";
import { connect, createServer } from "node:net";
import { splice } from "./socket-splice.ts";

/**
 * `bun tests/net/loopback-forward.ts SOCKET PORT`, run inside a node's namespace: listens on the
 * unix socket SOCKET and forwards each connection to 127.0.0.1:PORT in that namespace, then prints
 * "ready". A path-based unix socket is a file, reachable from every namespace, so the test process
 * outside reaches the node's loopback-only UI and API through it (see loopback-bridge.ts).
 */
const [path, port] = [process.argv[2], Number(process.argv[3])];
if (!path || !Number.isInteger(port)) throw new Error("usage: loopback-forward.ts SOCKET PORT");

if (existsSync(path)) unlinkSync(path);
createServer((client) => splice(client, connect(port, "127.0.0.1"))).listen(path, () => {
  process.stdout.write("ready\n");
});
