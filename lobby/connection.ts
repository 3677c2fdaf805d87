import { randomBytes } from "node:crypto";
import type { ServerWebSocket } from "bun";
import {
  type LobbyClientMessage,
  type LobbyErrorCode,
  type LobbyServerMessage,
  lobbyClientMessage,
} from "../protocol/lobby.ts";
import { FrameRejected, parseGuardedJson } from "../server/wire/json-guard.ts";
import { BackplaneUnavailableError, NoSuchRoomError } from "./backplane/backplane.ts";
import { Bucket, StrikeCounter } from "./budget.ts";
import type { Member, MemberSocket } from "./directory.ts";
import type { LobbyCore } from "./lobby-core.ts";
import { relayBinary, relayText } from "./relay.ts";
import { createRoom, joinRoom, leaveRoom, type Refusal } from "./room-ops.ts";
import { flushSoon, writeCorked } from "./write-batch.ts";

/** Relayed links a socket's frames are dropped for, at most: those are seconds old at most. */
const CUT_LINKS = 64;
/** Requests of one socket waiting for the backplane, at most; past it one is refused with `limit`. */
const SERIAL_MAX = 64;
/** Frames a socket may send while its registration is on its way, at most. */
const HELD_FRAMES = 64;
const UNREACHABLE = "the lobby cannot reach its shared state just now; try again shortly";

/** Close codes the lobby uses; 4000 is the application's "a newer socket took your place". */
export const CLOSE = {
  shutdown: 1001,
  policy: 1008,
  tryLater: 1013,
  replaced: 4000,
} as const;

/**
 * UTF-8 length of `text`, counted only when it could pass `limit` (three bytes per UTF-16 unit at
 * most), so a small frame costs no walk of its characters.
 */
function byteLength(text: string, limit = 0): number {
  return text.length * 3 > limit ? Buffer.byteLength(text) : text.length;
}

const KNOWN_TYPES = new Set<string>(lobbyClientMessage.options.map((o) => o.shape.type.value));

/**
 * One `/lobby-ws` socket: the edge every frame crosses (size, JSON depth, schema, the per-type
 * bucket) before the lobby acts on it. Nothing a remote party sends may throw out of here.
 */
export class Connection implements MemberSocket {
  ws: ServerWebSocket<Connection> | undefined;
  readonly ip: string;
  /** The challenge's nonce, standard base64: a registration must sign this socket's own. */
  readonly nonce = randomBytes(32).toString("base64");
  readonly openedAt = performance.now();
  lastSeen = this.openedAt;
  lastPing = this.openedAt;
  /** Set once registered; the record a newer registration of the same node takes over. */
  member: Member | undefined;
  /** Set by the lobby when a newer socket of the same node replaced this one. */
  replaced = false;
  closing = false;
  /** Per-node relay budgets, made at registration. */
  relayFrames: Bucket | undefined;
  relayBytes: Bucket | undefined;
  relayDrops: StrikeCounter | undefined;
  readonly #core: LobbyCore;
  readonly #buckets = new Map<string, Bucket>();
  #outbox: Array<string | Uint8Array> = [];
  /** What `#outbox` holds, in bytes (text counted by its length). */
  #outboxBytes = 0;
  /**
   * Relayed links the lobby ended because their receiver was not keeping up, as `peer/link`:
   * what this socket still sends on them was already in flight and is dropped. Oldest go first.
   */
  readonly #cut = new Set<string>();
  readonly #refusals: StrikeCounter;
  /** While its registration is on its way: what the socket sent, read once it is registered. */
  #inbox: Array<string | Buffer> | undefined;
  #inboxBytes = 0;
  /** While its registration is on its way: what it is sent waits in the outbox, behind `registered`. */
  #holding = false;
  /** Requests that wait for the backplane, answered one after another in the order they came. */
  #chain: Promise<void> = Promise.resolve();
  #waiting = 0;

  constructor(core: LobbyCore, ip: string) {
    this.#core = core;
    this.ip = ip;
    this.#refusals = new StrikeCounter(core.limits.badFramesToClose, core.limits.badFrameWindowMs);
  }

  open(ws: ServerWebSocket<Connection>): void {
    this.ws = ws;
    this.#core.opened(this);
    this.send({
      type: "challenge",
      nonce: this.nonce,
      lobby_id: this.#core.lobbyId,
      instance: this.#core.instance,
    });
  }

  message(raw: string | Buffer): void {
    if (this.closing) return;
    this.lastSeen = performance.now();
    if (this.#inbox) {
      this.#holdFrame(raw);
      return;
    }
    try {
      if (typeof raw === "string") this.#text(raw);
      else if (this.member) relayBinary(this.#core, this, this.member, raw);
      else this.#refuseUnregistered("binary");
    } catch (err) {
      this.#core.log.debug("lobby: a frame's handling failed", { error: String(err) });
    }
  }

  /** Any sign of life, a WebSocket ping or pong included. */
  alive(): void {
    this.lastSeen = performance.now();
  }

  closed(): void {
    this.closing = true;
    this.#core.closed(this);
  }

  send(msg: LobbyServerMessage): void {
    this.sendText(JSON.stringify(msg));
  }

  sendText(text: string): void {
    const ws = this.ws;
    if (!ws || this.closing) return;
    // Behind relayed frames still waiting, a text frame waits too: order is kept per socket.
    if (this.#outbox.length > 0 || this.#holding) {
      this.#outbox.push(text);
      this.#outboxBytes += text.length;
      if (this.#outboxBytes > this.#core.limits.sendBufferBytes) this.#overflow(ws);
      return;
    }
    ws.sendText(text);
    this.#checkBuffer(ws);
  }

  /**
   * Relayed frames are gathered for the rest of this turn of the event loop and written under one
   * cork: one write for the many frames a read of the sender brought, instead of one per frame.
   */
  sendBytes(bytes: Uint8Array): void {
    if (!this.ws || this.closing) return;
    this.#outboxBytes += bytes.length;
    if (this.#outbox.push(bytes) === 1) flushSoon(this);
  }

  backlog(): number {
    const ws = this.ws;
    if (!ws || this.closing) return this.#outboxBytes;
    return ws.getBufferedAmount() + this.#outboxBytes;
  }

  cutLink(peer: string, link: string): void {
    const key = `${peer}/${link}`;
    this.#cut.delete(key);
    this.#cut.add(key);
    if (this.#cut.size > CUT_LINKS) this.#cut.delete(this.#cut.values().next().value as string);
  }

  /** Whether any link of this socket's was cut: the common case, none, costs no lookup. */
  get anyCut(): boolean {
    return this.#cut.size > 0;
  }

  /** Whether `cutLink` ended this link; `forget` takes it off the list (it opened again, or ended). */
  isCut(peer: string, link: string, forget = false): boolean {
    if (this.#cut.size === 0) return false;
    const key = `${peer}/${link}`;
    return forget ? this.#cut.delete(key) : this.#cut.has(key);
  }

  /** Writes what `sendBytes` gathered. */
  flush(): void {
    if (this.#holding) return;
    const ws = this.ws;
    const out = this.#outbox;
    this.#outbox = [];
    this.#outboxBytes = 0;
    if (!ws || this.closing || out.length === 0) return;
    writeCorked(ws, out);
    this.#checkBuffer(ws);
  }

  error(code: LobbyErrorCode, message: string, re?: string): void {
    this.send({ type: "error", code, message: message.slice(0, 500), ...(re ? { re } : {}) });
  }

  /**
   * A registration is on its way: until `release`, frames from the socket wait to be read and
   * frames for it wait to be written, so `registered` is the first thing it hears and nothing it
   * sent meanwhile is refused as unregistered.
   */
  hold(): void {
    this.#holding = true;
    this.#inbox = [];
    this.#inboxBytes = 0;
  }

  /** Sends `first` (the `registered` frame), then what waited for it, then reads what the socket sent meanwhile. */
  release(first: string): void {
    this.#holding = false;
    const inbox = this.#inbox ?? [];
    this.#inbox = undefined;
    const ws = this.ws;
    if (!ws || this.closing) return;
    ws.sendText(first);
    this.flush();
    this.#checkBuffer(ws);
    for (const raw of inbox) {
      if (this.closing) break;
      this.message(raw);
    }
  }

  /**
   * Runs `task` once this socket's earlier requests to the backplane are answered: one node's
   * room requests are answered in the order it made them. Its refusal, or the backplane being
   * unreachable, is answered as an error naming `re`; without `re` a failure is only logged.
   */
  serial(task: () => Promise<Refusal | undefined>, re?: string): void {
    if (this.#waiting >= SERIAL_MAX) {
      if (re) {
        this.error("limit", "too many requests waiting for an answer", re);
        this.refused();
      }
      return;
    }
    this.#waiting += 1;
    this.#chain = this.#chain.then(async () => {
      try {
        // A socket that closed meanwhile asks nothing more.
        const refusal = this.closing ? undefined : await task();
        if (refusal && re) this.error(refusal.code, refusal.message, re);
      } catch (err) {
        if (err instanceof BackplaneUnavailableError) {
          if (re) this.error("limit", UNREACHABLE, re);
        } else if (err instanceof NoSuchRoomError) {
          if (re) this.error("no_room", "no such room", re);
        } else this.#core.log.debug("lobby: a request's handling failed", { re, error: String(err) });
      } finally {
        this.#waiting -= 1;
      }
    });
  }

  close(code: number, reason: string): void {
    if (this.closing) return;
    this.#holding = false;
    this.#inbox = undefined;
    // What was said before the close (a goodbye behind relayed frames) still goes first.
    this.flush();
    this.closing = true;
    try {
      this.ws?.close(code, reason);
    } catch {
      this.ws?.terminate();
    }
  }

  /** Counts a refused frame; true (and the socket is closing) once they keep coming. */
  refused(): boolean {
    this.#core.counters.refused += 1;
    if (!this.#refusals.strike(performance.now())) return false;
    this.error("limit", "too many refused frames");
    this.close(CLOSE.policy, "too many refused frames");
    return true;
  }

  /** A peer that stops reading must not grow this process: past the cap the socket goes at once. */
  #checkBuffer(ws: ServerWebSocket<Connection>): void {
    if (ws.getBufferedAmount() <= this.#core.limits.sendBufferBytes) return;
    this.#overflow(ws);
  }

  #overflow(ws: ServerWebSocket<Connection>): void {
    this.#core.counters.sendBufferCloses += 1;
    this.closing = true;
    this.#outbox = [];
    this.#outboxBytes = 0;
    ws.terminate();
  }

  /** A frame that came while the registration was on its way: kept, within bounds, to be read after. */
  #holdFrame(raw: string | Buffer): void {
    const inbox = this.#inbox!;
    this.#inboxBytes += raw.length;
    if (inbox.length >= HELD_FRAMES || this.#inboxBytes > this.#core.limits.textFrameBytes * 2) {
      this.close(CLOSE.policy, "too much sent before registration");
      return;
    }
    inbox.push(typeof raw === "string" ? raw : Buffer.from(raw));
  }

  #text(raw: string): void {
    const limits = this.#core.limits;
    if (byteLength(raw, limits.textFrameBytes) > limits.textFrameBytes) {
      this.#badFrame(`frame is larger than ${limits.textFrameBytes} bytes`);
      return;
    }
    let value: unknown;
    try {
      value = parseGuardedJson(raw, limits.jsonDepth);
    } catch (err) {
      this.#badFrame(err instanceof FrameRejected ? err.message : "frame is not JSON");
      return;
    }
    const parsed = lobbyClientMessage.safeParse(value);
    if (!parsed.success) {
      const type = (value as { type?: unknown } | null)?.type;
      const re = typeof type === "string" && KNOWN_TYPES.has(type) ? type : undefined;
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
      this.#badFrame(`${where}${issue?.message ?? "invalid frame"}`, re);
      return;
    }
    const msg = parsed.data;
    const member = this.member;
    if (!member) {
      if (msg.type === "register") this.#core.register(this, msg);
      else this.#refuseUnregistered(msg.type);
      return;
    }
    if (!this.#withinRate(msg.type)) {
      this.error("limit", `too many ${msg.type} messages`, msg.type);
      this.refused();
      return;
    }
    if (msg.type === "signal" && byteLength(raw, limits.signalFrameBytes) > limits.signalFrameBytes) {
      this.#badFrame(`a signal frame is at most ${limits.signalFrameBytes} bytes`, msg.type);
      return;
    }
    this.#dispatch(member, msg, raw.length);
  }

  #dispatch(member: Member, msg: LobbyClientMessage, size: number): void {
    const core = this.#core;
    switch (msg.type) {
      case "register":
        this.#badFrame("this socket is already registered", "register");
        break;
      case "update":
        core.update(member, msg);
        break;
      case "list_rooms":
        this.serial(async () => {
          this.send({ type: "rooms", rooms: await core.listRooms() });
          return undefined;
        }, msg.type);
        break;
      case "create_room":
        this.serial(() => createRoom(core, this, member, msg), msg.type);
        break;
      case "join_room":
        this.serial(() => joinRoom(core, this, member, msg), msg.type);
        break;
      case "leave_room":
        this.serial(() => leaveRoom(core, member, msg), msg.type);
        break;
      case "signal": {
        const text = JSON.stringify({ type: "signal", from: member.id, data: msg.data });
        const to = core.directory.get(msg.to);
        if (to) to.socket.sendText(text);
        else core.sendRemote(msg.to, text, () => this.send({ type: "undeliverable", to: msg.to }));
        break;
      }
      case "relay_open":
      case "relay":
      case "relay_end":
        relayText(core, this, member, msg, size);
        break;
      case "ping":
        this.send({ type: "pong" });
        break;
      case "pong":
        break;
      default: {
        const never: never = msg;
        throw new Error(`unhandled lobby message ${(never as { type: string }).type}`);
      }
    }
  }

  /** Each message type has a bucket of its own; the relay's types are held by the relay budgets. */
  #withinRate(type: LobbyClientMessage["type"]): boolean {
    if (type === "relay" || type === "relay_open" || type === "relay_end") return true;
    let bucket = this.#buckets.get(type);
    const now = performance.now();
    if (!bucket) {
      const l = this.#core.limits;
      bucket =
        type === "signal"
          ? new Bucket(l.signalPerSec, l.signalBurst, now)
          : new Bucket(l.controlPerSec, l.controlBurst, now);
      this.#buckets.set(type, bucket);
    }
    return bucket.take(1, now);
  }

  #badFrame(message: string, re?: string): void {
    this.#core.log.debug("lobby: bad frame", { ip: this.ip, message });
    if (!this.member) {
      this.error("bad_frame", message, re);
      this.close(CLOSE.policy, "bad frame before registration");
      return;
    }
    this.error("bad_frame", message, re);
    this.refused();
  }

  #refuseUnregistered(type: string): void {
    this.error("unregistered", `register first; ${type} is not accepted before registration`);
    this.close(CLOSE.policy, "unregistered");
  }
}
