import { afterEach, describe, expect, test } from "bun:test";
import type { Server } from "bun";
import { BACKOFF_MAX_MS, backoffDelay } from "../../client/connection/backoff.ts";
import { type InboundFrame, parseFrame, ReconnectingSocket } from "../../client/connection/socket-client.ts";
import type { ConnectionState } from "../../plugins/sdk/host.ts";

const GOOD = { channel: "system", event: "welcome", data: { node_name: "x" } };

/** A real WebSocket server on a free (or given) port that greets with junk and one good frame. */
function serve(port = 0, received: string[] = []): Server<undefined> {
  return Bun.serve({
    port,
    hostname: "127.0.0.1",
    fetch(req, server) {
      return server.upgrade(req) ? undefined : new Response("no", { status: 400 });
    },
    websocket: {
      open(ws) {
        for (const junk of ["not json", "[1,2]", '{"channel":1,"event":"x","data":null}', '{"event":"x"}']) {
          ws.send(junk);
        }
        ws.send(JSON.stringify(GOOD));
      },
      message(_ws, text) {
        received.push(String(text));
      },
    },
  });
}

function until(check: () => boolean, ms = 3000): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const look = () => {
      if (check()) resolve();
      else if (Date.now() - started > ms) reject(new Error("condition not met in time"));
      else setTimeout(look, 10);
    };
    look();
  });
}

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const undo of cleanup.splice(0)) undo();
});

function client(port: number) {
  const statuses: ConnectionState[] = [];
  const frames: InboundFrame[] = [];
  const socket = new ReconnectingSocket({
    url: `ws://127.0.0.1:${port}/ws`,
    onStatus: (s) => statuses.push(s),
    onFrame: (f) => frames.push(f),
    random: () => 0,
  });
  cleanup.push(() => socket.stop());
  return { socket, statuses, frames };
}

describe("the reconnecting /ws client", () => {
  test("it reports connecting then connected and hands on well-formed frames only", async () => {
    const server = serve();
    cleanup.push(() => server.stop(true));
    const { socket, statuses, frames } = client(server.port!);
    socket.start();
    await until(() => frames.length > 0);
    expect(statuses).toEqual(["connecting", "connected"]);
    await Bun.sleep(50);
    expect(frames).toEqual([GOOD]);
  });

  test("it sends only while open and says so", async () => {
    const received: string[] = [];
    const server = serve(0, received);
    cleanup.push(() => server.stop(true));
    const { socket, statuses } = client(server.port!);
    expect(socket.send("system", "hello", {})).toBe(false);
    socket.start();
    await until(() => statuses.includes("connected"));
    expect(socket.send("system", "hello", {})).toBe(true);
    await until(() => received.length > 0);
    expect(JSON.parse(received[0]!)).toEqual({ channel: "system", event: "hello", data: {} });
  });

  test("when the node goes away it reports offline and reconnects by itself once it is back", async () => {
    let server = serve();
    const port = server.port!;
    const { socket, statuses } = client(port);
    socket.start();
    await until(() => statuses.at(-1) === "connected");
    server.stop(true);
    await until(() => statuses.at(-1) === "offline");
    await Bun.sleep(400);
    expect(socket.isOpen).toBe(false);
    server = serve(port);
    cleanup.push(() => server.stop(true));
    await until(() => statuses.at(-1) === "connected", BACKOFF_MAX_MS + 1000);
    expect(statuses.filter((s) => s === "connected")).toHaveLength(2);
  });

  test("after stop it neither reconnects nor reports", async () => {
    const server = serve();
    cleanup.push(() => server.stop(true));
    const { socket, statuses } = client(server.port!);
    socket.start();
    await until(() => statuses.at(-1) === "connected");
    socket.stop();
    const seen = statuses.length;
    await Bun.sleep(400);
    expect(statuses.length).toBe(seen);
    expect(socket.isOpen).toBe(false);
  });
});

describe("frames and backoff", () => {
  test("a frame is parsed only from a JSON string of { channel, event, data }", () => {
    expect(parseFrame(JSON.stringify(GOOD))).toEqual(GOOD);
    expect(parseFrame("{")).toBeUndefined();
    expect(parseFrame(new ArrayBuffer(4))).toBeUndefined();
    expect(parseFrame(JSON.stringify({ channel: "x", event: 3, data: 1 }))).toBeUndefined();
  });

  test("the backoff doubles from 250 ms to a 5 s ceiling and jitter only ever shortens it by half", () => {
    const ceilings = [0, 1, 2, 3, 4, 5, 6, 10].map((n) => backoffDelay(n, () => 1));
    expect(ceilings).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
    expect(backoffDelay(0, () => 0)).toBe(125);
    expect(backoffDelay(9, () => 0)).toBe(2500);
    for (let i = 0; i < 100; i++) {
      const d = backoffDelay(3);
      expect(d).toBeGreaterThanOrEqual(1000);
      expect(d).toBeLessThanOrEqual(2000);
    }
  });
});
