import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { Awareness, encodeAwarenessUpdate } from "y-protocols/awareness";
import * as Y from "yjs";
import { COLLAB_TEXT } from "../../protocol/collab.ts";
import { collabTab } from "../helpers/collab-tab.ts";
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
import { eventually, peerRow } from "../helpers/peer-nodes.ts";
import { flipBase64Bit, processFaults, RawPeer } from "../helpers/raw-peer.ts";

const faults = processFaults();
/** A room of the target's shared with the hostile peer, and one of the hostile peer's it opened. */
const SHARED = "scratch:shared-with-hostile";
const HOSTILE_ROOM = "scratch:hostile-room";
let target: FuzzTarget;
let hostile: RawPeer;
let reconnects = 0;

/** Links the hostile peer (again, after the node dropped it) as the known node it is. */
async function link(token?: string): Promise<void> {
  const peer = await RawPeer.create("hostile", hostile?.identity);
  await peer.connect(target.node.port);
  await peer.handshake(token === undefined ? {} : { token });
  hostile = peer;
  await eventually(
    () => peerRow(target.node, peer.identity.nodeId)?.status === "connected",
    "the hostile link",
  );
}

beforeAll(async () => {
  target = await startFuzzTarget();
  await link(target.node.fabric.invites.mint().token);
  const owner = target.node.identity.nodeId;
  const mine = await collabTab(target.node.port, SHARED);
  mine.insert(0, "shared text");
  mine.share(hostile.identity.nodeId);
  await eventually(() => hostile.sessionFrames().some((f) => f.env.type === "collab_share"), "the share");
  hostile.sendSealed("collab_sync", { room: SHARED, owner, sv: b64(Y.encodeStateVector(new Y.Doc())) });
  hostile.sendSealed("collab_share", { room: HOSTILE_ROOM, title: "hostile" });
  const theirs = await collabTab(target.node.port, `${HOSTILE_ROOM}@${hostile.identity.nodeId}`);
  await eventually(
    () =>
      hostile
        .sessionFrames()
        .some((f) => f.env.type === "collab_sync" && JSON.stringify(f.data).includes(HOSTILE_ROOM)),
    "the node to open the hostile peer's room",
  );
  mine.close();
  theirs.close();
});
afterAll(() => target.stop());

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

/** Yjs bytes as a peer sends them: a real edit, a state vector, or either damaged. */
function yjsBytes(run: FuzzRun, doc: Y.Doc): string {
  const before = Y.encodeStateVector(doc);
  doc.getText(COLLAB_TEXT).insert(0, randomString(run, 16));
  if (run.chance(0.1)) doc.getMap("meta").set("title", randomString(run, 200));
  const real = run.chance(0.5) ? Y.encodeStateAsUpdate(doc, before) : Y.encodeStateVector(doc);
  return b64(run.chance(0.5) ? mutateBytes(run, real) : real);
}

function awarenessBytes(run: FuzzRun, doc: Y.Doc): string {
  const awareness = new Awareness(doc);
  awareness.setLocalState(
    mutateJson(run, { user: { name: "hostile", color: "#aa0000" }, caret: null, typing: true }) as never,
  );
  const real = encodeAwarenessUpdate(awareness, [awareness.clientID]);
  awareness.destroy();
  return b64(run.chance(0.5) ? mutateBytes(run, real) : real);
}

const hexId = () => randomBytes(16).toString("hex");

/** A feature or session message with data that is right, or bent by the fuzzer. */
function featureFrame(run: FuzzRun, doc: Y.Doc): { type: string; data: unknown } {
  const owner = run.pick([
    target.node.identity.nodeId,
    hostile.identity.nodeId,
    target.friend.identity.nodeId,
  ]);
  const room = run.pick([SHARED, HOSTILE_ROOM, "scratch:never-shared", "nopane:x"]);
  const templates: Array<[string, () => unknown]> = [
    ["collab_share", () => ({ room: `scratch:hostile-${run.int(4)}`, title: randomString(run, 40) })],
    ["collab_sync", () => ({ room, owner, sv: yjsBytes(run, doc) })],
    ["collab_sync", () => ({ room, owner, update: yjsBytes(run, doc), sv: yjsBytes(run, doc) })],
    ["collab_update", () => ({ room, owner, update: yjsBytes(run, doc) })],
    ["collab_awareness", () => ({ room, owner, update: awarenessBytes(run, doc) })],
    ["chat_message", () => ({ id: hexId(), text: randomString(run, 200), ts: Date.now() })],
    ["chat_receipt", () => ({ ids: [hexId()], status: run.pick(["delivered", "read", "failed"]) })],
    ["ping", () => ({ sent: Date.now() })],
    ["pong", () => ({ sent: Date.now() })],
    ["presence", () => ({ node_name: "hostile", addresses: ["ws://127.0.0.1:1/peer-ws"] })],
    ["error", () => ({ code: "x", message: randomString(run, 40) })],
  ];
  // Unsharing ends the fuzzing of the shared room, so it is sent rarely.
  if (run.chance(0.01)) templates.push(["collab_unshare", () => ({ room, owner })]);
  const [type, make] = run.pick(templates);
  const data = make();
  return { type, data: run.chance(0.6) ? mutateJson(run, data) : data };
}

/** One hostile frame on the open session, in the JSON or the binary form; returns its kind and a line for the log. */
function sendOne(run: FuzzRun, doc: Y.Doc, sent: Array<string | Uint8Array>): { kind: string; text: string } {
  const peer = hostile;
  const ping = () => peer.seal("ping", { sent: Date.now() });
  const roll = run.int(12);
  let kind = "garbage";
  let frame: string | Uint8Array;
  if (roll < 4) {
    const { type, data } = featureFrame(run, doc);
    const binary = run.chance(0.5);
    frame = binary ? peer.sealBinary(type, data) : JSON.stringify(peer.seal(type, data));
    sent.push(frame);
    kind = binary ? "binary-feature" : "feature";
  } else if (roll === 4) {
    const type = randomString(run, 40).slice(0, 32) || "x";
    const data = randomJson(run, 4);
    const printable = /^[\x21-\x7e]+$/.test(type);
    frame =
      printable && run.chance(0.5) ? peer.sealBinary(type, data) : JSON.stringify(peer.seal(type, data));
    kind = "unknown-type";
  } else if (roll === 5) {
    const env = peer.seal("chat_message", { id: hexId(), text: "flipped", ts: Date.now() });
    env.box = flipBase64Bit(env.box, run.int(Buffer.from(env.box, "base64").length * 8));
    frame = JSON.stringify(env);
    kind = "bit-flip";
  } else if (roll === 6 && sent.length > 0) {
    frame = run.pick(sent);
    kind = "replay";
  } else if (roll === 7) {
    const n = run.pick([0, -1, 1.5, peer.counter - 1, 2 ** 53, Number.MAX_SAFE_INTEGER + 2, "7", null]);
    frame = JSON.stringify({ ...ping(), n });
    kind = "bad-n";
  } else if (roll === 8) {
    frame = JSON.stringify(mutateJson(run, ping()));
    kind = "bent-envelope";
  } else if (roll === 10) {
    // A binary frame with bytes flipped, cut or added: header, counter, tag or box.
    const honest = peer.sealBinary("chat_message", { id: hexId(), text: "bent bytes", ts: Date.now() });
    frame = mutateBytes(run, honest);
    if (frame[0] !== 0x01 && run.chance(0.8)) frame[0] = 0x01;
    kind = "binary-bent";
  } else if (roll === 11) {
    const big = run.chance(0.5);
    const n = run.pick([1, Math.max(1, peer.counter), 2 ** 40]);
    frame = big
      ? peer.sealBinary("chat_message", { id: hexId(), text: "x".repeat(1024 * 1024), ts: Date.now() })
      : peer.sealBinary("ping", { sent: Date.now() }, { n });
    // A counter far ahead is authentic and accepted: the peer's later frames count on from it.
    if (!big) peer.counter = Math.max(peer.counter, n);
    kind = big ? "binary-too-big" : "binary-bad-n";
  } else {
    const env = JSON.stringify(ping());
    frame = run.pick([
      () => mutateText(run, env),
      () => deepJson(run, 30 + run.int(2000)),
      () => JSON.stringify({ ...JSON.parse(env), box: "A".repeat(1024 * 1024 + 4) }),
      () => randomString(run, 100),
    ])();
  }
  if (typeof frame === "string") peer.sendText(frame);
  else peer.sendBytes(frame);
  const text =
    typeof frame === "string"
      ? frame
      : `<${frame.length} bytes> ${Buffer.from(frame.subarray(0, 120)).toString("hex")}`;
  return { kind, text };
}

describe("fuzzing sealed frames from a paired peer", () => {
  test(
    "nothing a paired peer seals or bends crashes the node, reaches a room it was not given, or costs data",
    async () => {
      const run = fuzzRun("peer-ws sealed", 20_000);
      const doc = new Y.Doc();
      const sent: Array<string | Uint8Array> = [];
      const kinds: Record<string, number> = {};
      const rejectsBefore = { ...target.node.fabric.hub.rejects };
      const auditBefore = auditRows(target);
      const recent: string[] = [];
      let internal = 0;
      while (run.next()) {
        if (hostile.closeInfo !== undefined) {
          reconnects += 1;
          sent.length = 0;
          await link();
        }
        const { kind, text } = sendOne(run, doc, sent);
        kinds[kind] = (kinds[kind] ?? 0) + 1;
        recent.push(`${kind} ${text.slice(0, 300)}`);
        if (recent.length > 16) recent.shift();
        // Let the node keep up, as a real link would: a few frames, then a turn of the event loop.
        if (run.counts.sent % 8 === 0) {
          await Bun.sleep(1);
          // A frame the session failed on unexpectedly, rather than refused for a reason.
          const now = target.node.fabric.hub.rejects.internal ?? 0;
          if (now > internal)
            run.fail(`an internal error on one of the last frames:\n  ${recent.join("\n  ")}`);
          internal = now;
        }
      }
      await Bun.sleep(300);
      const rejects = target.node.fabric.hub.rejects;
      run.counts.rejected = Object.entries(rejects).reduce(
        (sum, [k, v]) => sum + v - (rejectsBefore[k] ?? 0),
        0,
      );
      const auditAdded = auditRows(target) - auditBefore;
      run.report({
        ...kinds,
        reconnects,
        audit_rows_added: auditAdded,
        logged_errors: target.loggedErrors.length,
        faults: faults.length,
      });
      // Refusals fold into a few rows however many there are: the audit log is no disk filler.
      expect(auditAdded).toBeLessThanOrEqual(100);
      console.log(`fuzz peer-ws sealed: rejects by code ${JSON.stringify(rejects)}`);

      // The peer stays what it was: trusted, and its honest frames still get through.
      if (hostile.closeInfo !== undefined) await link();
      const text = `after the fuzzing ${hexId()}`;
      hostile.sendSealed("chat_message", { id: hexId(), text, ts: Date.now() });
      await eventually(
        () => target.node.chat.page(hostile.identity.nodeId, 5).messages.some((m) => m.text === text),
        "an honest chat message from the fuzzing peer",
      );
      // The two rooms still open for a tab; the room never shared holds none of the peer's text.
      for (const address of [SHARED, `${HOSTILE_ROOM}@${hostile.identity.nodeId}`]) {
        const tab = await collabTab(target.node.port, address);
        expect(tab.tab.frames.some((f) => f.event === "state")).toBe(true);
        tab.close();
      }
      expect(target.node.collab.room("scratch:never-shared")).toBeUndefined();
      expect(run.failures).toEqual([]);
      await expectIntact(target, faults);
    },
    fuzzTimeoutMs(),
  );
});
