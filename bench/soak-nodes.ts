/**
 * The moving parts of bench/soak.ts: a compiled node run in a folder of its own, and tabs reduced
 * to their sockets that keep no frames, so a run of hours costs the bench nothing but the sockets.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { Awareness, encodeAwarenessUpdate } from "y-protocols/awareness";
import * as Y from "yjs";
import type { ChatMessage, ChatPage } from "../protocol/chat.ts";
import { COLLAB_TEXT } from "../protocol/collab.ts";
import { round } from "./bench-stats.ts";

/** Longest the note gets before a typing tab trims it, so a long run types into a note of a steady size. */
const MAX_NOTE = 2000;

export type Frame = { channel: string; event: string; data: unknown };

/** A compiled node under test, its logs in files in its own folder. */
export interface SoakNode {
  name: string;
  dir: string;
  proc: Subprocess;
  port: number;
  id: string;
  /** Set once the process has exited, with its code. */
  exited?: number | null;
  health: number[];
  healthFailures: number;
}

export async function startNode(binary: string, name: string): Promise<SoakNode> {
  const dir = mkdtempSync(join(tmpdir(), `weft-soak-${name}-`));
  const proc = Bun.spawn(
    [binary, "--data-dir", "./data", "--port", "0", "--host", "127.0.0.1", "--no-open", "--name", name],
    {
      cwd: dir,
      stdin: "ignore",
      // Files, not pipes: a pipe nobody drains would stall a node that logs a lot.
      stdout: Bun.file(join(dir, "stdout.log")),
      stderr: Bun.file(join(dir, "stderr.log")),
      env: { PATH: process.env.PATH ?? "", HOME: dir },
    },
  );
  const deadline = Date.now() + 10_000;
  let port: number | undefined;
  while (port === undefined) {
    if (proc.exitCode !== null) throw new Error(`${name} exited before listening (see ${dir})`);
    if (Date.now() > deadline) throw new Error(`${name} did not report its URL in 10 s (see ${dir})`);
    const out = existsSync(join(dir, "stdout.log")) ? readFileSync(join(dir, "stdout.log"), "utf8") : "";
    const match = /listening on http:\/\/localhost:(\d+)\//.exec(out);
    if (match) port = Number(match[1]);
    else await Bun.sleep(20);
  }
  const node: SoakNode = { name, dir, proc, port, id: "", health: [], healthFailures: 0 };
  void proc.exited.then((code) => {
    node.exited = code;
  });
  node.id = (await call<{ node_id: string }>(node, "GET", "/api/network/identity")).node_id;
  return node;
}

/** A JSON call as the node's own tab makes it; a non-2xx answer throws with the node's reason. */
export async function call<T>(node: SoakNode, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`http://localhost:${node.port}${path}`, {
    method,
    headers: { origin: `http://localhost:${node.port}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`${node.name} ${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export async function until(
  check: () => Promise<boolean> | boolean,
  what: string,
  ms = 30_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

/** A tab reduced to its socket; it keeps no frames, so hours of traffic cost this process nothing. */
export async function openSocket(node: SoakNode, onFrame: (f: Frame) => void): Promise<WebSocket> {
  const socket = new WebSocket(`ws://localhost:${node.port}/ws`, {
    headers: { origin: `http://localhost:${node.port}`, host: `localhost:${node.port}` },
  } as never);
  socket.addEventListener("message", (e) => onFrame(JSON.parse(String(e.data)) as Frame));
  await new Promise<void>((ok, fail) => {
    socket.addEventListener("open", () => ok(), { once: true });
    socket.addEventListener("error", () => fail(new Error(`${node.name}: WebSocket refused`)), {
      once: true,
    });
  });
  return socket;
}

export const send = (socket: WebSocket, channel: string, event: string, data: unknown) => {
  if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ channel, event, data }));
};

/** A tab in the note: its own Yjs doc and awareness, synced over `/ws`. */
export interface NoteTab {
  text(): string;
  type(random: () => number): void;
  caret(at: number): void;
  /** Owner only: shares the room with one peer. */
  share(nodeId: string): void;
  close(leave: boolean): void;
}

export async function noteTab(node: SoakNode, room: string): Promise<NoteTab> {
  const doc = new Y.Doc();
  const ytext = doc.getText(COLLAB_TEXT);
  const awareness = new Awareness(doc);
  let joined: () => void = () => {};
  let failed: (e: Error) => void = () => {};
  const state = new Promise<void>((ok, fail) => {
    joined = ok;
    failed = fail;
  });
  const socket = await openSocket(node, (f) => {
    const data = f.data as { paneKey?: string; update?: string };
    if (f.channel !== "collab" || data.paneKey !== room) return;
    if ((f.event === "state" || f.event === "update") && data.update) {
      Y.applyUpdate(doc, Buffer.from(data.update, "base64"), "remote");
      if (f.event === "state") joined();
    }
  });
  doc.on("update", (update: Uint8Array, origin: unknown) => {
    if (origin !== "remote")
      send(socket, "collab", "update", { paneKey: room, update: Buffer.from(update).toString("base64") });
  });
  awareness.on("update", ({ added, updated, removed }: Record<string, number[]>) => {
    const changed = [...(added ?? []), ...(updated ?? []), ...(removed ?? [])];
    const update = Buffer.from(encodeAwarenessUpdate(awareness, changed)).toString("base64");
    send(socket, "collab", "awareness", { paneKey: room, update });
  });
  send(socket, "collab", "join", { paneKey: room });
  const timer = setTimeout(() => failed(new Error(`${node.name}: no state for ${room} in 5 s`)), 5000);
  try {
    await state;
  } catch (e) {
    socket.close();
    awareness.destroy();
    throw e;
  } finally {
    clearTimeout(timer);
  }
  return {
    text: () => ytext.toString(),
    type(random) {
      if (ytext.length > MAX_NOTE) ytext.delete(Math.floor(random() * (ytext.length - 500)), 500);
      const at = Math.floor(random() * (ytext.length + 1));
      ytext.insert(at, String.fromCharCode(97 + Math.floor(random() * 26)));
    },
    caret: (at) => awareness.setLocalState({ user: { name: node.name }, cursor: { anchor: at, head: at } }),
    share: (nodeId) => send(socket, "collab", "share", { paneKey: room, nodeId }),
    close(leave) {
      if (leave) send(socket, "collab", "leave", { paneKey: room });
      awareness.destroy();
      socket.close();
    },
  };
}

/** A tab showing the conversation with `peer`, sending it a numbered message on each `tick`. */
export async function chatTab(node: SoakNode, peer: SoakNode) {
  const stats = { sent: 0, shown: 0, errors: [] as string[] };
  const socket = await openSocket(node, (f) => {
    if (f.channel !== "chat") return;
    if (f.event === "message" && (f.data as ChatMessage).direction === "in") stats.shown++;
    if (f.event === "error") stats.errors.push((f.data as { message: string }).message);
  });
  send(socket, "chat", "open", { nodeId: peer.id });
  return {
    stats,
    tick() {
      const n = stats.sent++;
      send(socket, "chat", "send", { nodeId: peer.id, text: `${node.name} ${n}`, clientId: `soak-${n}` });
    },
    close: () => socket.close(),
  };
}

/** Every message of a node's conversation with `peer`, oldest first, paged as the UI pages it. */
export async function history(node: SoakNode, peer: SoakNode): Promise<ChatMessage[]> {
  const all: ChatMessage[] = [];
  let before: number | undefined;
  for (;;) {
    const q = before === undefined ? "" : `&before=${before}`;
    const page = await call<ChatPage>(node, "GET", `/api/chat/${peer.id}/messages?limit=200${q}`);
    all.unshift(...page.messages);
    const first = page.messages[0];
    if (!page.hasMore || !first) return all;
    before = first.seq;
  }
}

export function sample(node: SoakNode) {
  if (node.exited !== undefined) return { alive: false, rss_mb: 0, fds: 0, log_bytes: 0 };
  const status = readFileSync(`/proc/${node.proc.pid}/status`, "utf8");
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const logs = ["stdout.log", "stderr.log"].reduce((sum, f) => sum + statSync(join(node.dir, f)).size, 0);
  return {
    alive: true,
    rss_mb: round(rssKb / 1024),
    fds: readdirSync(`/proc/${node.proc.pid}/fd`).length,
    log_bytes: logs,
  };
}

/** Sends `/api/health` every 200 ms until `running()` is false, keeping each round trip. */
export async function probeHealth(node: SoakNode, running: () => boolean): Promise<void> {
  while (running() && node.exited === undefined) {
    const t0 = performance.now();
    try {
      const res = await fetch(`http://localhost:${node.port}/api/health`, {
        signal: AbortSignal.timeout(5000),
      });
      await res.arrayBuffer();
      if (res.status === 200) node.health.push(performance.now() - t0);
      else node.healthFailures++;
    } catch {
      if (node.exited === undefined) node.healthFailures++;
    }
    await Bun.sleep(200);
  }
}
