import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { Awareness, encodeAwarenessUpdate } from "y-protocols/awareness";
import * as Y from "yjs";
import { COLLAB_TEXT } from "../../protocol/collab.ts";
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
import { expectIntact, type FuzzTarget, startFuzzTarget } from "../helpers/fuzz-target.ts";
import { eventually, mintInvite } from "../helpers/peer-nodes.ts";
import { processFaults } from "../helpers/raw-peer.ts";
import { openTab, type TestTab } from "../helpers/ws-client.ts";

const faults = processFaults();
let target: FuzzTarget;
let invites: string[] = [];

beforeAll(async () => {
  target = await startFuzzTarget();
  invites = [await mintInvite(target.node), await mintInvite(target.friend)];
});
afterAll(() => target.stop());

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

/** Rooms the fuzzer may edit, share and delete; never the room made before it. */
function roomAddress(run: FuzzRun): string {
  return run.pick([
    "scratch:fuzz-a",
    "scratch:fuzz-b",
    `scratch:fuzz-a@${target.friend.identity.nodeId}`,
    `scratch:fuzz-c@${randomNodeId()}`,
    "about:fuzz",
    "nopane:fuzz",
    `scratch:${randomString(run, 10)}`,
  ]);
}

function randomNodeId(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  return Array.from(randomBytes(16), (b) => alphabet[b % 32]).join("");
}

function yjsUpdate(run: FuzzRun, doc: Y.Doc): string {
  const before = Y.encodeStateVector(doc);
  doc.getText(COLLAB_TEXT).insert(0, randomString(run, 16));
  const real = Y.encodeStateAsUpdate(doc, before);
  return b64(run.chance(0.4) ? mutateBytes(run, real) : real);
}

function awarenessUpdate(run: FuzzRun, doc: Y.Doc): string {
  const awareness = new Awareness(doc);
  awareness.setLocalState(
    mutateJson(run, { user: { name: "fuzz", color: "#00aa00" }, typing: true }) as never,
  );
  const real = encodeAwarenessUpdate(awareness, [awareness.clientID]);
  awareness.destroy();
  return b64(run.chance(0.4) ? mutateBytes(run, real) : real);
}

/** Every client event of every channel (protocol/*.ts), with data a tab could send. */
function validFrame(run: FuzzRun, doc: Y.Doc): { channel: string; event: string; data: unknown } {
  const peerId = run.pick([target.friend.identity.nodeId, randomNodeId()]);
  const room = () => roomAddress(run);
  const events: Record<string, Record<string, () => unknown>> = {
    system: { hello: () => ({}) },
    network: {
      list_peers: () => ({}),
      list_metrics: () => ({}),
      metrics_history: () => ({}),
      connect: () => ({
        address: run.pick([
          "ws://127.0.0.1:1/peer-ws",
          `ws://localhost:${target.node.port}/peer-ws`,
          "http://x",
        ]),
      }),
      disconnect: () => ({ nodeId: randomNodeId() }),
      pair_redeem: () => ({
        invite: run.chance(0.5) ? mutateText(run, run.pick(invites)) : run.pick(invites),
      }),
      mint_invite: () => ({ ttl_s: run.pick([60, 3600, 59, 30 * 24 * 3600 + 1]) }),
    },
    collab: {
      join: () => ({ paneKey: room() }),
      leave: () => ({ paneKey: room() }),
      update: () => ({ paneKey: room(), update: yjsUpdate(run, doc) }),
      awareness: () => ({ paneKey: room(), update: awarenessUpdate(run, doc) }),
      share: () => ({ paneKey: room(), nodeId: peerId }),
      unshare: () => ({ paneKey: room(), nodeId: peerId }),
      rooms: () => ({ paneId: run.pick(["scratch", "about", "nopane", "x".repeat(100)]) }),
      delete: () => ({ paneKey: room() }),
    },
    chat: {
      open: () => ({ nodeId: peerId }),
      send: () => ({ nodeId: peerId, text: randomString(run, 100), clientId: `fuzz-${run.int(1000)}` }),
      read: () => ({ nodeId: peerId, upTo: randomBytes(16).toString("hex") }),
      close: () => ({ nodeId: peerId }),
      list_unread: () => ({}),
    },
    notices: {
      list: () => ({}),
      read: () => (run.chance(0.5) ? {} : { ids: [1 + run.int(20)] }),
      dismiss: () => ({ id: 1 + run.int(20) }),
    },
  };
  const channel = run.pick(Object.keys(events));
  const byEvent = events[channel]!;
  const event = run.pick(Object.keys(byEvent));
  return { channel, event, data: byEvent[event]!() };
}

/** A frame sent by one fuzzing tab; `garbage` frames must each be answered with an error. */
function fuzzFrame(run: FuzzRun, doc: Y.Doc): { text: string | Uint8Array<ArrayBuffer>; garbage: boolean } {
  const frame = validFrame(run, doc);
  switch (run.int(8)) {
    case 0:
    case 1:
      return { text: JSON.stringify(frame), garbage: false };
    case 2:
    case 3:
      return { text: JSON.stringify({ ...frame, data: mutateJson(run, frame.data) }), garbage: false };
    case 4:
      return { text: JSON.stringify(mutateJson(run, frame)), garbage: false };
    case 5: {
      const unknown = { channel: randomString(run, 16).slice(0, 32), event: frame.event, data: frame.data };
      const known = ["system", "network", "collab", "chat", "notices"].includes(unknown.channel);
      return { text: JSON.stringify(unknown), garbage: !known };
    }
    case 6:
      return run.pick([
        () => ({ text: `${randomString(run, 100)}}`, garbage: true }),
        () => ({ text: JSON.stringify(randomJson(run, 4)), garbage: false }),
        () => ({ text: deepJson(run, 100 + run.int(100_000)), garbage: true }),
        () => ({ text: "x".repeat(1024 * 1024 + 1), garbage: true }),
      ])();
    default: {
      const text = mutateText(run, JSON.stringify(frame));
      return run.chance(0.5) ? { text, garbage: false } : { text: mutateBytes(run), garbage: false };
    }
  }
}

const errors = (tab: TestTab) => tab.frames.filter((f) => f.event === "error").length;

describe("fuzzing /ws on every channel", () => {
  test(
    "no frame a tab sends crashes the node, closes the tab or costs data, and garbage is answered",
    async () => {
      const fuzz = fuzzRun("ws", 60_000);
      const tabs = await Promise.all([0, 1, 2].map(() => openTab(target.node.port)));
      const garbage = [0, 0, 0];
      const closedByNode: boolean[] = [false, false, false];
      for (const [i, tab] of tabs.entries()) {
        tab.socket.addEventListener("close", () => {
          closedByNode[i] = true;
        });
      }
      const worker = async (i: number) => {
        const run = fuzz.fork(i);
        const tab = tabs[i]!;
        const doc = new Y.Doc();
        while (run.next()) {
          const frame = fuzzFrame(run, doc);
          if (frame.garbage) garbage[i]! += 1;
          tab.socket.send(frame.text);
          if (fuzz.counts.sent % 8 === 0) await Bun.sleep(1);
        }
      };
      await Promise.all([0, 1, 2].map(worker));
      // Every garbage frame has its error; the other frames may add more.
      await eventually(
        () => tabs.every((t, i) => errors(t) >= garbage[i]!),
        "an error for every garbage frame",
        10_000,
      );
      fuzz.counts.rejected = tabs.reduce((sum, t) => sum + errors(t), 0);
      fuzz.report({
        garbage: garbage.reduce((a, b) => a + b, 0),
        logged_errors: target.loggedErrors.length,
        faults: faults.length,
      });
      expect(closedByNode).toEqual([false, false, false]);
      for (const t of tabs) t.close();
      await eventually(() => target.node.browsers.size === 0, "the node to let go of closed tabs");
      // Rooms the fuzzing opened go from memory once no tab has them open.
      await eventually(
        () => target.node.collab.loadedRooms === 0,
        "the node to unload rooms nobody has open",
      );
      expect(fuzz.failures).toEqual([]);
      await expectIntact(target, faults);
    },
    fuzzTimeoutMs(),
  );
});
