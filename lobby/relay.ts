import {
  type LobbyClientMessage,
  type LobbyServerMessage,
  RELAY_BINARY_HEADER,
  RELAY_BINARY_KIND,
  rewriteRelayPeer,
} from "../protocol/lobby.ts";
import { NODE_ID } from "../protocol/primitives.ts";
import { CLOSE, type Connection } from "./connection.ts";
import type { Member, MemberSocket } from "./directory.ts";
import type { LobbyCore } from "./lobby-core.ts";

type RelayMessage = Extract<LobbyClientMessage, { type: "relay" | "relay_open" | "relay_end" }>;

const PEER_END = 17;
/**
 * The share of a receiver's send buffer (`sendBufferBytes`) relayed frames may fill. Past it a
 * relayed frame is not forwarded: the receiver keeps the rest for its own traffic (rooms, the
 * directory, other links), and its socket is never closed because one peer sends too fast.
 */
const RELAY_SHARE = 0.5;
/** `relay_end.reason` when the lobby ends a link: 1013 "try again later", as a close code. */
export const NOT_KEEPING_UP = "1013 the peer is not keeping up";

/**
 * The relay (docs/architecture.md, "The lobby"): frames between two nodes that found no direct
 * path. The lobby only routes them: `from` is always the sender's registered id, and what is
 * inside is a peer-wire frame it cannot read. Every relayed frame spends the sender's budgets.
 *
 * A receiver on this instance is sent the frame at once. One on another instance is sent it
 * through the backplane, in order, and that instance checks its receiver keeps up (`arrived`);
 * ending a link then reaches the sender's instance as a `relay_end`, which cuts it there too.
 */

/** A JSON `relay_open`, `relay` or `relay_end`: the same frame with `from` in place of `to`. */
export function relayText(
  core: LobbyCore,
  conn: Connection,
  from: Member,
  msg: RelayMessage,
  size: number,
): void {
  if (!withinBudget(core, conn, size)) return;
  const to = core.directory.get(msg.to);
  if (!to && !core.remote.has(msg.to)) {
    undeliverable(core, conn, msg.to, msg.link);
    return;
  }
  if (conn.anyCut) {
    // Once ended, a link's end needs no second telling; a new open with its id is a new link.
    const cut = conn.isCut(msg.to, msg.link, msg.type !== "relay");
    if (cut && msg.type !== "relay_open") {
      core.counters.relayCut += 1;
      return;
    }
  }
  if (!to) {
    sendRemote(core, conn, msg.to, msg.link, JSON.stringify(delivered(from.id, msg)));
    return;
  }
  if (msg.type === "relay" && !hasRoom(core, to, size)) {
    cutLink(core, conn, from, to, msg.link);
    return;
  }
  core.counters.relayed += 1;
  to.socket.sendText(JSON.stringify(delivered(from.id, msg)));
}

function delivered(from: string, msg: RelayMessage): LobbyServerMessage {
  switch (msg.type) {
    case "relay_open":
      return { type: "relay_open", from, link: msg.link };
    case "relay":
      return { type: "relay", from, link: msg.link, frame: msg.frame };
    case "relay_end":
      return { type: "relay_end", from, link: msg.link, reason: msg.reason };
    default: {
      const never: never = msg;
      return never;
    }
  }
}

/**
 * A binary relayed frame (layout in protocol/lobby.ts): the header is checked, the peer field is
 * overwritten in place with the sender's id, and the same bytes go on; no JSON, no base64, no copy.
 */
export function relayBinary(core: LobbyCore, conn: Connection, from: Member, bytes: Buffer): void {
  const length = bytes.length;
  if (length <= RELAY_BINARY_HEADER || bytes[0] !== RELAY_BINARY_KIND || !linkIsHex(bytes)) {
    conn.error("bad_frame", "a binary frame must be a relayed frame (see protocol/lobby.ts)");
    conn.refused();
    return;
  }
  if (length - RELAY_BINARY_HEADER > core.limits.relayFrameBytes) {
    drop(core, conn);
    return;
  }
  if (!withinBudget(core, conn, length)) return;
  const peer = bytes.toString("latin1", 1, PEER_END);
  const to = core.directory.get(peer);
  if (!to) {
    const link = linkOf(bytes);
    if (!NODE_ID.test(peer)) {
      conn.error("bad_frame", "a relayed frame's peer is not a node id");
      conn.refused();
      return;
    }
    if (!core.remote.has(peer)) undeliverable(core, conn, peer, link);
    else if (conn.anyCut && conn.isCut(peer, link)) core.counters.relayCut += 1;
    else {
      rewriteRelayPeer(bytes, from.id);
      // The backplane takes its copy of the bytes before this returns.
      sendRemote(core, conn, peer, link, bytes);
    }
    return;
  }
  if (conn.anyCut && conn.isCut(peer, linkOf(bytes))) {
    core.counters.relayCut += 1;
    return;
  }
  if (!hasRoom(core, to, length)) {
    cutLink(core, conn, from, to, linkOf(bytes));
    return;
  }
  rewriteRelayPeer(bytes, from.id);
  core.counters.relayed += 1;
  to.socket.sendBytes(bytes);
}

function undeliverable(core: LobbyCore, conn: Connection, to: string, link: string): void {
  core.counters.undeliverable += 1;
  conn.send({ type: "undeliverable", to, link });
}

/** A relayed frame for a node another instance holds, through the backplane. */
function sendRemote(
  core: LobbyCore,
  conn: Connection,
  to: string,
  link: string,
  frame: string | Uint8Array,
): void {
  core.sendRemote(
    to,
    frame,
    () => undeliverable(core, conn, to, link),
    () => {
      core.counters.relayed += 1;
    },
  );
}

/** What the start of a relayed JSON frame, as `delivered` writes it, says: its type, sender and link. */
const RELAYED_HEAD =
  /^\{"type":"(relay_open|relay|relay_end)","from":"([a-z2-7]{16})","link":"([0-9a-f]{8})"/;
const HEAD_CHARS = 80;
const ROOM_CLOSED = /^\{"type":"room_closed","room_id":"([0-9a-f]{32})"/;

/**
 * A frame another instance delivered to `toId`, a node this instance holds (or held a moment
 * ago: then it is dropped, as a frame to a closed socket is). Signals and room news go to its
 * socket as they are; a relayed frame is held to the same rule as one relayed here, the receiver
 * keeping up, and a link it does not keep up with is ended at both ends.
 */
export function arrived(core: LobbyCore, toId: string, frame: string | Uint8Array): void {
  const to = core.directory.get(toId);
  if (!to) return;
  if (typeof frame !== "string") {
    if (frame.length <= RELAY_BINARY_HEADER || frame[0] !== RELAY_BINARY_KIND) return;
    const bytes = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
    const from = bytes.toString("latin1", 1, PEER_END);
    if (!NODE_ID.test(from) || !linkIsHex(bytes)) return;
    if (keepsUp(core, to, from, linkOf(bytes), frame.length)) to.socket.sendBytes(frame);
    return;
  }
  const head = RELAYED_HEAD.exec(frame.slice(0, HEAD_CHARS));
  if (head) {
    const [, type, from, link] = head as unknown as [string, string, string, string];
    if (type === "relay" && !keepsUp(core, to, from, link, frame.length)) return;
    if (type !== "relay") {
      // A new open of a link, or its end, starts it over: nothing of it is dropped any more.
      (to.socket as Connection).isCut(from, link, true);
      // The other end's instance ended this link: what this node still sends on it is dropped here.
      if (type === "relay_end" && frame.includes(`"reason":"${NOT_KEEPING_UP}"`))
        to.socket.cutLink(from, link);
    }
  } else {
    const closed = ROOM_CLOSED.exec(frame.slice(0, HEAD_CHARS));
    if (closed) to.joined.delete(closed[1]!);
  }
  to.socket.sendText(frame);
}

/**
 * Whether `to` takes one more relayed frame from `from`, on another instance, on `link`. It does
 * not when the link was ended here (frames already on their way when it ended are dropped), nor
 * past its share of its send buffer: the link is then ended at both ends.
 */
function keepsUp(core: LobbyCore, to: Member, from: string, link: string, size: number): boolean {
  const socket = to.socket as Connection;
  if (socket.anyCut && socket.isCut(from, link)) {
    core.counters.relayCut += 1;
    return false;
  }
  if (hasRoom(core, to, size)) return true;
  core.counters.relayCut += 1;
  core.log.debug("lobby: a relayed link's receiver is not keeping up; ending the link", { from, to: to.id });
  endLink(to.socket, from, link);
  core.backplane
    .deliver(from, JSON.stringify({ type: "relay_end", from: to.id, link, reason: NOT_KEEPING_UP }))
    .catch(() => {});
  return false;
}

/** `socket`'s link `link` with `peer` is ended by the lobby: told so, and what it still sends on it is dropped. */
function endLink(socket: MemberSocket, peer: string, link: string): void {
  socket.cutLink(peer, link);
  socket.sendText(JSON.stringify({ type: "relay_end", from: peer, link, reason: NOT_KEEPING_UP }));
}

/** Whether `to` can take `size` more relayed bytes within its share of its send buffer. */
function hasRoom(core: LobbyCore, to: Member, size: number): boolean {
  return to.socket.backlog() + size <= core.limits.sendBufferBytes * RELAY_SHARE;
}

/**
 * `to` is not keeping up with what `from` relays: the link is ended at both ends (`relay_end`,
 * so both sessions close and the nodes dial again and resync), and what either still sends on it
 * is dropped. Both sockets stay, with everything else on them.
 */
function cutLink(core: LobbyCore, conn: Connection, from: Member, to: Member, link: string): void {
  core.counters.relayCut += 1;
  core.log.debug("lobby: a relayed link's receiver is not keeping up; ending the link", {
    from: from.id,
    to: to.id,
  });
  conn.cutLink(to.id, link);
  to.socket.cutLink(from.id, link);
  conn.send({ type: "relay_end", from: to.id, link, reason: NOT_KEEPING_UP });
  to.socket.sendText(JSON.stringify({ type: "relay_end", from: from.id, link, reason: NOT_KEEPING_UP }));
}

function linkOf(bytes: Buffer): string {
  return bytes.toString("latin1", PEER_END, RELAY_BINARY_HEADER);
}

/** Spends one frame and `size` bytes of the sender's budgets; over them the frame is dropped. */
function withinBudget(core: LobbyCore, conn: Connection, size: number): boolean {
  const now = performance.now();
  if (conn.relayFrames?.take(1, now) && conn.relayBytes?.take(size, now)) return true;
  drop(core, conn, now);
  return false;
}

/** A dropped frame is counted; a node that keeps sending past its budget is disconnected. */
function drop(core: LobbyCore, conn: Connection, now = performance.now()): void {
  core.counters.relayDropped += 1;
  if (!conn.relayDrops?.strike(now)) return;
  core.log.debug("lobby: relay budget kept exceeded; disconnecting", { node: conn.member?.id });
  conn.error("limit", "relay budget exceeded again and again");
  conn.close(CLOSE.policy, "relay budget exceeded");
}

/** The link field is 8 lowercase hex digits. */
function linkIsHex(bytes: Uint8Array): boolean {
  for (let i = PEER_END; i < RELAY_BINARY_HEADER; i++) {
    const c = bytes[i]!;
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}
