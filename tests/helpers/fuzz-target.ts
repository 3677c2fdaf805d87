import { Database } from "bun:sqlite";
import { expect } from "bun:test";
import { join } from "node:path";
import type { ChatPage } from "../../protocol/chat.ts";
import type { IdentityResponse } from "../../protocol/rest.ts";
import type { Logger } from "../../server/log.ts";
import { type RunningNode, startNode } from "../../server/node.ts";
import { chatTab } from "./chat-tab.ts";
import { collabTab } from "./collab-tab.ts";
import { api, eventually, mintInvite, pair, peerRow } from "./peer-nodes.ts";
import { echoProbe, expectStillServing } from "./raw-peer.ts";
import { tempDir } from "./temp-dir.ts";
import { startTestNode, tempUiDir } from "./test-node.ts";

/** The room made before fuzzing; no fuzz input names it, so it must come through untouched. */
export const KEPT_ROOM = "scratch:kept-before-fuzzing";
const KEPT_ROOM_TEXT = "written before the fuzzing began";
const KEPT_CHAT_TEXT = "said before the fuzzing began";

/** A line the node logged at `error` level: a crash it caught, which fuzzing must never cause. */
export interface LoggedError {
  message: string;
  fields?: Record<string, unknown>;
}

/**
 * A node under fuzzing, with data to lose: paired with a friend node it has chatted with, and a
 * room with text in it. Its error-level log lines are kept for the suite to check.
 */
export interface FuzzTarget {
  node: RunningNode;
  friend: RunningNode;
  loggedErrors: LoggedError[];
  /** What reached the test feature from honest peers (see `expectStillServing`). */
  probe: { texts: string[] };
  stop(): Promise<void>;
}

export async function startFuzzTarget(): Promise<FuzzTarget> {
  const loggedErrors: LoggedError[] = [];
  const quiet = () => {};
  const log: Logger = {
    error: (message, fields) => loggedErrors.push({ message, ...(fields ? { fields } : {}) }),
    warn: quiet,
    info: quiet,
    debug: quiet,
  };
  // A UI of its own, so what the node serves does not hang on the state of a shared dist/ui.
  const uiDir = tempUiDir();
  const node = await startNode(
    {
      uiDir,
      port: 0,
      portExplicit: true,
      host: "127.0.0.1",
      dataDir: join(tempDir(), "data"),
      name: "target",
      logLevel: "error",
      pingIntervalMs: 1000,
    },
    log,
  );
  const friend = await startTestNode({ name: "friend", pingIntervalMs: 1000 });
  const stop = async () => {
    await friend.stop();
    await node.stop();
  };
  try {
    expect((await pair(friend, await mintInvite(node))).body.ok).toBe(true);
    const friendId = friend.identity.nodeId;
    await eventually(() => peerRow(node, friendId)?.status === "connected", "the friend's link");

    const chat = await chatTab(node.port);
    chat.send(friendId, KEPT_CHAT_TEXT);
    await eventually(
      () => ["delivered", "read"].includes(node.chat.page(friendId, 5).messages[0]?.status ?? ""),
      "the chat message to be delivered",
    );
    chat.tab.close();

    const writer = await collabTab(node.port, KEPT_ROOM);
    writer.insert(0, KEPT_ROOM_TEXT);
    const reader = await collabTab(node.port, KEPT_ROOM);
    await eventually(() => reader.text() === KEPT_ROOM_TEXT, "the room's text to reach a second tab");
    writer.close();
    reader.close();
    node.collab.flush();
  } catch (err) {
    await stop();
    throw err;
  }
  return { node, friend, loggedErrors, probe: echoProbe(node), stop };
}

/** Rows in the node's audit table, read from its database file as it is on disk. */
export function auditRows(target: FuzzTarget): number {
  const db = new Database(join(target.node.dataDir, "weft.db"), { readonly: true });
  try {
    return db.query<{ n: number }, []>("SELECT count(*) AS n FROM audit_log").get()?.n ?? 0;
  } finally {
    db.close();
  }
}

/**
 * What fuzzing must leave as it was: the node answers health with the same identity, the chat
 * message and the room are still there, an honest peer still links up, nothing crashed.
 */
export async function expectIntact(target: FuzzTarget, faults: unknown[]): Promise<void> {
  const { node, friend } = target;
  const health = await api<{ status: string; node_id: string }>(node, "GET", "/api/health");
  expect(health).toMatchObject({ status: 200, body: { status: "ok", node_id: node.identity.nodeId } });
  const identity = await api<IdentityResponse>(node, "GET", "/api/network/identity");
  expect(identity.body.public_key).toBe(node.identity.publicKeyBase64);

  // The first message of the conversation, paging back past whatever the fuzzing added.
  const texts: string[] = [];
  for (let before = ""; ; ) {
    const url = `/api/chat/${friend.identity.nodeId}/messages?limit=200${before}`;
    const page = await api<ChatPage>(node, "GET", url);
    expect(page.status).toBe(200);
    texts.unshift(...page.body.messages.map((m) => m.text));
    const first = page.body.messages[0];
    if (!page.body.hasMore || !first) break;
    before = `&before=${first.seq}`;
  }
  expect(texts[0]).toBe(KEPT_CHAT_TEXT);

  const room = await collabTab(node.port, KEPT_ROOM);
  expect(room.text()).toBe(KEPT_ROOM_TEXT);
  room.close();

  await expectStillServing(node, target.probe);
  expect(target.loggedErrors).toEqual([]);
  expect(faults).toEqual([]);
}
