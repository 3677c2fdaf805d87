import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { helloData } from "../../protocol/peer.ts";
import { loadOrCreateIdentity, type NodeIdentity } from "../../server/identity/identity.ts";
import { newHeader, signEnvelope } from "../../server/wire/envelope-crypto.ts";
import {
  deepJson,
  type FuzzRun,
  fuzzRun,
  fuzzTimeoutMs,
  mutateBytes,
  mutateJson,
  mutateText,
  randomJson,
  randomString,
} from "../helpers/fuzz.ts";
import { auditRows, expectIntact, type FuzzTarget, startFuzzTarget } from "../helpers/fuzz-target.ts";
import { flipBase64Bit, processFaults, RawPeer } from "../helpers/raw-peer.ts";
import { tempDir } from "../helpers/temp-dir.ts";

const faults = processFaults();
let target: FuzzTarget;
const identities: NodeIdentity[] = [];

beforeAll(async () => {
  target = await startFuzzTarget();
  for (let i = 0; i < 4; i++) identities.push(await loadOrCreateIdentity(join(tempDir(), "identity.key")));
});
afterAll(() => target.stop());

/** X25519 points of small order, as a hostile dialer offers them for its ephemeral key. */
const LOW_ORDER = [
  Buffer.alloc(32),
  Buffer.from([1, ...Array(31).fill(0)]),
  Buffer.from(`${"ec"}${"ff".repeat(30)}7f`, "hex"),
  Buffer.from("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800", "hex"),
].map((b) => b.toString("base64"));

/** What one connection did: the node closed it, answered it, or neither within the wait. */
interface Outcome {
  closedByNode: boolean;
  received: string[];
  input: string;
  /** The input is a hello the node may rightly answer. */
  wellFormed: boolean;
}

/** A socket to `/peer-ws` that sends `frames` (text or binary) as fast as it can, then waits. */
async function sendRaw(frames: Array<string | Uint8Array<ArrayBuffer>>, waitMs: number): Promise<Outcome> {
  const socket = new WebSocket(`ws://localhost:${target.node.port}/peer-ws`);
  const received: string[] = [];
  let closedByNode = false;
  socket.addEventListener("message", (e) => received.push(String(e.data)));
  const closed = new Promise<void>((resolve) =>
    socket.addEventListener("close", () => {
      closedByNode = true;
      resolve();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener("open", () => resolve(), { once: true });
    socket.addEventListener("error", () => reject(new Error("the node refused the socket")), { once: true });
  });
  for (const f of frames) socket.send(f);
  await Promise.race([closed, Bun.sleep(waitMs)]);
  const outcome = {
    closedByNode,
    received,
    input: frames.map((f) => (typeof f === "string" ? f : `<binary ${f.length} bytes>`)).join(" "),
    wellFormed: false,
  };
  socket.close();
  return outcome;
}

/** A hello, honest or bent by the fuzzer, on a RawPeer; returns what the node did with it. */
async function sendHello(run: FuzzRun, kind: string): Promise<Outcome> {
  const peer = await RawPeer.create(randomString(run, 20).slice(0, 64), run.pick(identities));
  await peer.connect(target.node.port);
  const me = peer.identity.nodeId;
  let sent: unknown;
  switch (kind) {
    case "bad-signature":
      sent = peer.sendHello({
        afterSigning: (env) => {
          env.sig = flipBase64Bit(env.sig, run.int(512));
        },
      });
      break;
    case "changed-after-signing":
      sent = peer.sendHello({
        afterSigning: (env) => {
          const data = env.data as Record<string, unknown>;
          const key = run.pick(["node_name", "public_key", "nonce", "eph", "capabilities"]);
          data[key] = key === "capabilities" ? ["x"] : `${String(data[key])}x`;
          if (run.chance(0.5)) env.msg_id = env.msg_id.replace(/^./, (c) => (c === "a" ? "b" : "a"));
        },
      });
      break;
    case "signed-bad-header":
      sent = peer.sendHello({
        header: run.pick([
          { src: run.pick(identities.filter((i) => i !== peer.identity)).nodeId },
          { ts: 0 },
          { ts: Date.now() + 3_600_000 },
          { type: "hello_ack" },
          { type: "auth" },
        ]),
      });
      break;
    case "low-order-eph":
      sent = peer.sendHello({ data: { eph: run.pick(LOW_ORDER) } });
      break;
    case "signed-wrong-fields":
      // Signed by the key it presents, so only the checks of the fields themselves can catch it.
      sent = signEnvelope(
        peer.identity,
        newHeader("hello", me),
        mutateJson(run, {
          node_name: "x",
          public_key: peer.identity.publicKeyBase64,
          capabilities: [],
          nonce: Buffer.alloc(32, 7).toString("base64"),
          eph: Buffer.alloc(32, 9).toString("base64"),
        }),
      );
      peer.sendText(JSON.stringify(sent));
      break;
    default: {
      // An honest hello, then an `auth` that is garbage, mutated or missing its token.
      sent = peer.sendHello();
      try {
        await peer.readHelloAck();
      } catch {
        break;
      }
      if (run.chance(0.3)) peer.sendAuth();
      else peer.sendText(run.chance(0.5) ? mutateText(run, JSON.stringify(peer.seal("auth", {}))) : "{}");
    }
  }
  await Promise.race([peer.closed(1500).catch(() => undefined), Bun.sleep(400)]);
  const outcome = {
    input: JSON.stringify(sent ?? null),
    wellFormed:
      kind === "bad-auth" ||
      (kind === "signed-wrong-fields" && helloData.safeParse((sent as { data?: unknown }).data).success),
    closedByNode: peer.closeInfo !== undefined,
    received: [...peer.received],
  };
  peer.close();
  return outcome;
}

function garbage(run: FuzzRun, hello: string): Array<string | Uint8Array<ArrayBuffer>> {
  // A socket that says nothing at all, as one of many left open to fill the node's table.
  if (run.chance(0.05)) return [];
  switch (run.int(7)) {
    case 0:
      return [randomString(run, 200)];
    case 1:
      return [mutateText(run, hello)];
    case 2:
      return [deepJson(run, 30 + run.int(run.chance(0.2) ? 100_000 : 300))];
    case 3:
      return [
        JSON.stringify({
          ...JSON.parse(hello),
          data: { node_name: "x".repeat(1024 * 1024 + run.int(4096)) },
        }),
      ];
    case 4:
      return [JSON.stringify(mutateJson(run, JSON.parse(hello)))];
    case 5:
      return [mutateBytes(run, new TextEncoder().encode(hello))];
    default:
      return Array.from({ length: 1 + run.int(20) }, () => JSON.stringify(randomJson(run, 4)));
  }
}

const HELLO_KINDS = [
  "bad-signature",
  "changed-after-signing",
  "signed-bad-header",
  "low-order-eph",
  "signed-wrong-fields",
  "bad-auth",
];

describe("fuzzing /peer-ws before the handshake", () => {
  test(
    "nothing a dialer sends before a handshake crashes the node, admits anyone or costs it data",
    async () => {
      const fuzz = fuzzRun("peer-ws handshake", 5000);
      const sample = signEnvelope(identities[0]!, newHeader("hello", identities[0]!.nodeId), {
        node_name: "sample",
        public_key: identities[0]!.publicKeyBase64,
        capabilities: [],
        nonce: Buffer.alloc(32, 1).toString("base64"),
        eph: Buffer.alloc(32, 2).toString("base64"),
      });
      const hello = JSON.stringify(sample);
      // Sent once as it is, so every frame made from it later is a replay of a hello already seen.
      expect((await sendRaw([hello], 1000)).received.some((t) => t.includes('"hello_ack"'))).toBe(true);
      const tally: Record<string, number> = { closed: 0, ignored: 0, answered: 0 };
      const auditBefore = auditRows(target);
      const worker = async (run: FuzzRun) => {
        while (run.next()) {
          const n = run.counts.sent;
          const useHello = run.chance(0.4);
          const kind = useHello ? run.pick(HELLO_KINDS) : "garbage";
          const out = useHello ? await sendHello(run, kind) : await sendRaw(garbage(run, hello), 250);
          const fail = (what: string) => run.fail(`case ${n}, ${what}; input ${out.input.slice(0, 400)}`);
          const acked = out.received.some((t) => t.includes('"hello_ack"'));
          const admitted = out.received.some((t) => t.includes('"auth_result"') && t.includes('"ok":true'));
          if (admitted) fail(`${kind}: a session was opened (${out.received.join(" | ").slice(0, 300)})`);
          if (acked && !out.wellFormed) fail(`${kind}: the node answered hello_ack`);
          if (out.closedByNode) {
            run.counts.rejected += 1;
            tally.closed! += 1;
          } else if (out.received.length > 0) tally.answered! += 1;
          else tally.ignored! += 1;
          if (n % 100 === 0 && (await fetch(`${target.node.url}api/health`)).status !== 200)
            run.fail("health stopped answering");
        }
      };
      await Promise.all([0, 1, 2].map((i) => worker(fuzz.fork(i))));
      const auditAdded = auditRows(target) - auditBefore;
      fuzz.report({
        ...tally,
        audit_rows_added: auditAdded,
        logged_errors: target.loggedErrors.length,
        faults: faults.length,
      });
      // Refusals fold into a few rows however many there are: the audit log is no disk filler.
      expect(auditAdded).toBeLessThanOrEqual(100);
      expect(fuzz.failures).toEqual([]);
      // No fuzz input carried an invite, so nobody new may have been admitted.
      expect(target.node.fabric.hub.rows().map((r) => r.node_id)).toEqual([target.friend.identity.nodeId]);
      await expectIntact(target, faults);
    },
    fuzzTimeoutMs(),
  );
});
