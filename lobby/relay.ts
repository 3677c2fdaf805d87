import {
  type LobbyClientMessage,
  type LobbyServerMessage,
  RELAY_BINARY_HEADER,
  RELAY_BINARY_KIND,
  rewriteRelayPeer,
} from "../protocol/lobby.ts";
import { NODE_ID } from "../protocol/primitives.ts";
import { CLOSE, type Connection } from "./connection.ts";
import type { Member } from "./directory.ts";
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
  if (!to) {
    core.counters.undeliverable += 1;
    conn.send({ type: "undeliverable", to: msg.to, link: msg.link });
    return;
  }
  if (conn.anyCut) {
    // Once ended, a link's end needs no second telling; a new open with its id is a new link.
    const cut = conn.isCut(to.id, msg.link, msg.type !== "relay");
    if (cut && msg.type !== "relay_open") {
      core.counters.relayCut += 1;
      return;
    }
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
    core.counters.undeliverable += 1;
    conn.send({ type: "undeliverable", to: peer, link });
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
function linkIsHex(bytes: Buffer): boolean {
  for (let i = PEER_END; i < RELAY_BINARY_HEADER; i++) {
    const c = bytes[i]!;
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}
