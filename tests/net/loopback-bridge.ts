import { connect, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { spawnIn } from "./netns.ts";
import { splice } from "./socket-splice.ts";

/**
 * A node's UI and API take only loopback clients with a `Host` of `localhost:<its port>`, so the
 * test process, outside the node's namespace, cannot use the node's LAN address. A loopback bridge
 * joins the two loopbacks: a TCP listener on 127.0.0.1:P here, forwarding to a unix socket file
 * (files are shared across network namespaces), on which `loopback-forward.ts`, inside the node's
 * namespace, forwards to 127.0.0.1:P there. The node listens on P too, so `http://localhost:P/`
 * means the node on both sides and the existing helpers (`callNode`, `openTab`) work unchanged.
 * No interface is added to the namespace, so the node has no address but its LAN one for ICE.
 */
export interface LoopbackBridge {
  /** The port on 127.0.0.1 here, which the node must be given as `--port`. */
  port: number;
  /** Closes the listener here and every connection through it. */
  close(): void;
}

const FORWARD = join(import.meta.dir, "loopback-forward.ts");

/**
 * Opens a bridge into namespace `ns`: the listener here on a port the system picks (so it is free
 * here; a namespace made for the node has nothing on it), and the forwarder there, which is ended
 * with the namespace. `dir` holds the unix socket.
 */
export async function loopbackBridge(ns: string, dir: string): Promise<LoopbackBridge> {
  const open = new Set<Socket>();
  let path = "";
  const server: Server = createServer((client) => {
    const far = connect(path);
    for (const s of [client, far]) {
      open.add(s);
      s.on("close", () => open.delete(s));
    }
    splice(client, far);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const close = () => {
    server.close();
    for (const s of open) s.destroy();
  };
  try {
    path = join(dir, `bridge-${port}.sock`);
    const proc = spawnIn(ns, [process.execPath, FORWARD, path, String(port)]);
    const reader = proc.stdout.getReader();
    const { value } = await reader.read();
    reader.releaseLock();
    if (!new TextDecoder().decode(value).startsWith("ready")) {
      throw new Error(
        `the loopback forwarder in ${ns} did not start: ${await new Response(proc.stderr).text()}`,
      );
    }
  } catch (err) {
    close();
    throw err;
  }
  return { port, close };
}
