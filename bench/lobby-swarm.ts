/**
 * `bun bench/lobby-swarm.ts --url WS --count N [--concurrency C] [--listed-every K] [--name P]`:
 * one child process of bench/lobby.ts that holds N lobby sockets, each a node of its own (its own
 * Ed25519 key, registered by signing the lobby's challenge as protocol/lobby.ts describes), so the
 * lobby under test sees the clients in other processes.
 *
 * Talks to the parent in JSON lines: stdout `{t:"keys"}` once its keys exist, `{t:"progress"}`
 * while registering, `{t:"ready"}` when done, `{t:"joins", ms:[…], errors}` after a `join` command,
 * `{t:"status"}` on request; stdin `{cmd:"go"}`, `{cmd:"join", room, count, gapMs}`,
 * `{cmd:"status"}`, `{cmd:"stop"}`. Stdin closing (the parent died) ends the process.
 *
 * Also exports the one-socket node the parent uses for its own room host.
 */
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { parseArgs } from "node:util";
import {
  type LobbyClientMessage,
  type LobbyServerMessage,
  lobbyServerMessage,
  REGISTER_PURPOSE,
  type RegisterProof,
} from "../protocol/lobby.ts";
import { nodeIdFromPublicKey } from "../server/identity/node-id.ts";
import { canonicalBytes } from "../server/wire/canonical-json.ts";

/** A simulated node's identity: an Ed25519 key made here, never stored. */
export interface SwarmIdentity {
  nodeId: string;
  /** Standard base64 of the raw 32-byte public key, as the lobby wire carries it. */
  publicKey: string;
  privateKey: KeyObject;
}

export function newIdentity(): SwarmIdentity {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  // The raw key is the last 32 bytes of the SPKI DER form.
  const raw = publicKey.export({ type: "spki", format: "der" }).subarray(-32);
  return { nodeId: nodeIdFromPublicKey(new Uint8Array(raw)), publicKey: raw.toString("base64"), privateKey };
}

/** What a registered simulated node offers its owner. */
export interface SwarmNode {
  readonly id: SwarmIdentity;
  send(msg: LobbyClientMessage): void;
  /** Frames after registration other than `ping` and directory deltas (parsed: they are few). */
  onMessage: ((msg: LobbyServerMessage) => void) | undefined;
  /** Set once the lobby closed the socket after registration. */
  lost: boolean;
  close(): void;
}

/** Frames every node gets in numbers; they are recognised by their start and never parsed. */
const PING = '{"type":"ping"}';
const PRESENCE = '{"type":"presence"';
const GONE = '{"type":"gone"';
const CHANGES = '{"type":"directory_changes"';
const REGISTERED = '{"type":"registered"';

/**
 * Opens a socket, answers the challenge and resolves once `registered` arrived. `registered`
 * carries the whole directory and every listed node's arrival is a delta to every socket: those
 * are recognised, not parsed, so ten thousand nodes cost this process little beside the lobby.
 * The few frames acted on (challenge, room answers, errors) are parsed with the wire's schema.
 */
export function registerNode(
  url: string,
  id: SwarmIdentity,
  opts: { name: string; listed: boolean; timeoutMs?: number },
): Promise<SwarmNode> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    let registered = false;
    let settled = false;
    const node: SwarmNode = {
      id,
      send: (msg) => ws.send(JSON.stringify(msg)),
      onMessage: undefined,
      lost: false,
      close: () => ws.close(1000, "bench over"),
    };
    const fail = (why: string) => {
      clearTimeout(timer);
      if (!settled) {
        settled = true;
        reject(new Error(why));
        try {
          ws.close();
        } catch {}
      }
    };
    const timer = setTimeout(() => fail("no registration in time"), opts.timeoutMs ?? 30_000);
    ws.addEventListener("message", (e) => {
      const text = typeof e.data === "string" ? e.data : "";
      if (text === PING) return ws.send('{"type":"pong"}');
      if (text.startsWith(CHANGES) || text.startsWith(PRESENCE) || text.startsWith(GONE)) return;
      if (text.startsWith(REGISTERED)) {
        clearTimeout(timer);
        registered = true;
        settled = true;
        return resolve(node);
      }
      let msg: LobbyServerMessage;
      try {
        const parsed = lobbyServerMessage.safeParse(JSON.parse(text));
        if (!parsed.success) return;
        msg = parsed.data;
      } catch {
        return;
      }
      if (msg.type === "challenge") {
        const proof: RegisterProof = {
          purpose: REGISTER_PURPOSE,
          nonce: msg.nonce,
          lobby_id: msg.lobby_id,
          node_id: id.nodeId,
          public_key: id.publicKey,
        };
        const sig = sign(null, canonicalBytes(proof), id.privateKey).toString("base64");
        node.send({
          type: "register",
          node_id: id.nodeId,
          public_key: id.publicKey,
          node_name: opts.name,
          capabilities: [],
          addresses: [],
          listed: opts.listed,
          sig,
        });
      } else if (!registered && msg.type === "error") {
        fail(`refused: ${msg.code} ${msg.message}`);
      } else {
        node.onMessage?.(msg);
      }
    });
    ws.addEventListener("close", (e) => {
      if (registered) node.lost = true;
      fail(`closed before registration (${e.code} ${e.reason})`);
    });
    ws.addEventListener("error", () => fail("socket error"));
  });
}

type Command =
  | { cmd: "go" }
  | { cmd: "join"; room: string; count: number; gapMs: number }
  | { cmd: "status" }
  | { cmd: "stop" };

const out = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

/** `join_room` from `count` distinct nodes in turn; each answer's time from send to `room_info`. */
async function joins(
  nodes: SwarmNode[],
  room: string,
  count: number,
  gapMs: number,
): Promise<{ ms: number[]; errors: number }> {
  const ms: number[] = [];
  let errors = 0;
  for (const node of nodes.filter((n) => !n.lost).slice(0, count)) {
    const took = await new Promise<number>((resolve) => {
      const started = performance.now();
      const timer = setTimeout(() => done(-1), 10_000);
      const done = (t: number) => {
        clearTimeout(timer);
        node.onMessage = undefined;
        resolve(t);
      };
      node.onMessage = (msg) => {
        if (msg.type === "room_info" && msg.room.id === room) done(performance.now() - started);
        else if (msg.type === "error" && msg.re === "join_room") done(-1);
      };
      node.send({ type: "join_room", room_id: room });
    });
    if (took < 0) errors += 1;
    else ms.push(took);
    if (gapMs > 0) await Bun.sleep(gapMs);
  }
  return { ms, errors };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Bun.argv.slice(2),
    options: {
      url: { type: "string" },
      count: { type: "string" },
      concurrency: { type: "string", default: "200" },
      "listed-every": { type: "string", default: "10" },
      name: { type: "string", default: "swarm" },
    },
  });
  if (!values.url || !values.count) throw new Error("--url and --count are required");
  const url = values.url;
  const count = Number(values.count);
  const concurrency = Math.max(1, Number(values.concurrency));
  const listedEvery = Math.max(1, Number(values["listed-every"]));

  const ids = Array.from({ length: count }, newIdentity);
  out({ t: "keys", count });

  const nodes: SwarmNode[] = [];
  let failed = 0;
  const firstErrors: string[] = [];
  const register = async () => {
    const started = performance.now();
    let next = 0;
    let lastReport = 0;
    const worker = async () => {
      while (next < ids.length) {
        const i = next++;
        try {
          nodes.push(
            await registerNode(url, ids[i]!, { name: `${values.name}-${i}`, listed: i % listedEvery === 0 }),
          );
        } catch (err) {
          failed += 1;
          if (firstErrors.length < 3) firstErrors.push((err as Error).message);
        }
        if (nodes.length - lastReport >= 500) {
          lastReport = nodes.length;
          out({ t: "progress", registered: nodes.length, failed });
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    out({
      t: "ready",
      registered: nodes.length,
      failed,
      errors: firstErrors,
      ms: performance.now() - started,
    });
  };

  const status = () => ({ t: "status", registered: nodes.length, lost: nodes.filter((n) => n.lost).length });
  let buffer = "";
  const decoder = new TextDecoder();
  for await (const chunk of Bun.stdin.stream()) {
    buffer += decoder.decode(chunk);
    for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (line === "") continue;
      const command = JSON.parse(line) as Command;
      switch (command.cmd) {
        case "go":
          void register();
          break;
        case "join":
          void joins(nodes, command.room, command.count, command.gapMs).then((r) =>
            out({ t: "joins", ...r }),
          );
          break;
        case "status":
          out(status());
          break;
        case "stop":
          for (const n of nodes) n.close();
          await Bun.sleep(200);
          process.exit(0);
          break;
        default: {
          const never: never = command;
          throw new Error(`unknown command ${JSON.stringify(never)}`);
        }
      }
    }
  }
  // The parent is gone: nothing is left to report to.
  process.exit(0);
}

if (import.meta.main) {
  main().catch((err) => {
    process.stderr.write(`lobby-swarm: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
}
