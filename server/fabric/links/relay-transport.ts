import { randomBytes } from "node:crypto";
import {
  type LobbyClientMessage,
  type LobbyServerMessage,
  type LobbyServerOf,
  readRelayBinary,
  writeRelayBinary,
} from "../../../protocol/lobby.ts";
import { CLOSE, DialError, type Link, LinkBase, LinkClosedError, type Transport } from "./link.ts";

/** The relay's path type: a peer reached through this node's lobby (protocol/lobby.ts, relay). */
export const RELAY = "relay";

const RELAY_ADDRESS = /^relay:([a-z2-7]{16})$/;

/** A relay path's address: `relay:<node id>` (the peer, reached through this node's lobby). */
export function relayAddress(nodeId: string): string {
  return `relay:${nodeId}`;
}

/**
 * What the relay needs of the lobby client (server/lobby/lobby-client.ts satisfies it): sends that
 * say whether they went, the lobby's frames after registration, and word when registration ends.
 */
export interface RelayCarrier {
  readonly registered: boolean;
  /** Registered, but with too much unsent to take more: a refused send is congestion, not loss. */
  readonly congested: boolean;
  send(msg: LobbyClientMessage): boolean;
  sendBinary(bytes: Uint8Array): boolean;
  on(listener: { message?(msg: LobbyServerMessage): void; down?(reason: string): void }): () => void;
  onBinary(listener: (bytes: Uint8Array) => void): () => void;
}

/** The relay transport; `close()` ends every relayed link and stops listening to the carrier. */
export interface RelayTransport extends Transport {
  /** The relay is the path of last resort: the dialer gives direct paths a head start. */
  readonly lastResort: true;
  close(): void;
}

const LOST = "lobby connection lost";
const CONGESTED = "the lobby connection is congested";
/** "Try again later": the path is fine but full, so the link closes and the node dials again. */
const TRY_LATER = 1013;
const NOT_ACCEPTING = "not accepting relayed links";
/** Relayed links mid-handshake at once, in all and from one peer (as `network.maxPendingHandshakes`). */
export const MAX_PENDING_ACCEPTS = 64;
export const MAX_PENDING_PER_PEER = 4;

/** A relayed link's close, carried in `relay_end.reason` as `"<code> <reason>"` (at most 200 chars). */
function endReason(code: number, reason: string): string {
  return `${code} ${reason}`.slice(0, 200);
}

/** Reads `endReason` back; a reason without a code (a refusal, another implementation) is 1001. */
function parseEnd(text: string): { code: number; reason: string } {
  const m = /^(\d{4})(?: ([\s\S]*))?$/.exec(text);
  const code = m ? Number(m[1]) : Number.NaN;
  if (m && code >= 1000 && code <= 4999) return { code, reason: m[2] ?? "" };
  return { code: CLOSE.goingAway, reason: text };
}

interface Carrying {
  carrier: RelayCarrier;
  forget(link: RelayLink): void;
}

class RelayLink extends LinkBase {
  readonly transport = RELAY;
  readonly direction: "inbound" | "outbound";
  readonly remoteAddress: string;
  readonly peer: string;
  readonly id: string;
  readonly #via: Carrying;

  constructor(via: Carrying, peer: string, id: string, direction: "inbound" | "outbound") {
    super();
    this.#via = via;
    this.peer = peer;
    this.id = id;
    this.direction = direction;
    this.remoteAddress = relayAddress(peer);
  }

  protected transmit(frame: string | Uint8Array): void {
    const { carrier } = this.#via;
    const sent =
      typeof frame === "string"
        ? carrier.send({ type: "relay", to: this.peer, link: this.id, frame })
        : carrier.sendBinary(writeRelayBinary(this.peer, this.id, frame));
    // Not registered, or congested past the client's limit: either way this path cannot carry
    // the frame now, and a link that silently loses frames is worse than one that closes. When
    // congested, the peer is told (`relay_end` still goes); when not registered, it cannot be.
    if (!sent) {
      const congested = carrier.congested;
      if (congested) this.close(TRY_LATER, CONGESTED);
      else this.ended(CLOSE.goingAway, LOST);
      throw new LinkClosedError(`link is closed (${congested ? CONGESTED : LOST})`);
    }
  }

  protected shutdown(code: number, reason: string): void {
    this.#via.forget(this);
    this.#via.carrier.send({
      type: "relay_end",
      to: this.peer,
      link: this.id,
      reason: endReason(code, reason),
    });
  }

  received(frame: string | Uint8Array): void {
    this.deliver(frame);
  }

  /** The other end, the lobby or the carrier ended it; nothing is sent. */
  ended(code: number, reason: string): void {
    this.#via.forget(this);
    this.closed(code, reason);
  }
}

interface PendingDial {
  resolve(link: Link): void;
  fail(err: DialError): void;
}

/**
 * Links to peers through the lobby (docs/architecture.md, "The lobby"): each is a virtual link
 * named by (peer, link id) over the one lobby socket. The lobby sees only peer-wire envelopes,
 * which the handshake signs and the session seals, so trust runs unchanged over it.
 */
export function createRelayTransport(opts: {
  carrier: RelayCarrier;
  /** Why relaying is off right now (`network.enableRelay`), or undefined. */
  disabled?: () => string | undefined;
  /** How long a peer has to answer `relay_open`; default 5000 ms. */
  openTimeoutMs?: number;
}): RelayTransport {
  const { carrier } = opts;
  const links = new Map<string, RelayLink>();
  const dials = new Map<string, PendingDial>();
  let accept: ((link: Link) => unknown) | undefined;
  const accepting = new Map<string, number>();
  let acceptingTotal = 0;
  const keyOf = (peer: string, id: string) => `${peer}/${id}`;
  const via: Carrying = {
    carrier,
    forget(link) {
      if (links.get(keyOf(link.peer, link.id)) === link) links.delete(keyOf(link.peer, link.id));
    },
  };

  function opened(peer: string, id: string): void {
    const key = keyOf(peer, id);
    const dial = dials.get(key);
    if (dial) {
      dials.delete(key);
      const link = new RelayLink(via, peer, id, "outbound");
      links.set(key, link);
      dial.resolve(link);
      return;
    }
    // The same id again from the peer: it dropped the old link without our hearing of it.
    links.get(key)?.ended(CLOSE.goingAway, "the peer opened the link again");
    const refused = opts.disabled?.() ?? (accept ? undefined : NOT_ACCEPTING);
    if (refused) {
      carrier.send({ type: "relay_end", to: peer, link: id, reason: endReason(CLOSE.policy, refused) });
      return;
    }
    // Handshakes in flight are capped, in all and per peer, as on /peer-ws: any registered node
    // can open relayed links to any other, and each holds a handshake for up to 10 s.
    const fromPeer = accepting.get(peer) ?? 0;
    if (acceptingTotal >= MAX_PENDING_ACCEPTS || fromPeer >= MAX_PENDING_PER_PEER) {
      const reason = endReason(TRY_LATER, "too many relayed links waiting for a handshake");
      carrier.send({ type: "relay_end", to: peer, link: id, reason });
      return;
    }
    const link = new RelayLink(via, peer, id, "inbound");
    links.set(key, link);
    if (!carrier.send({ type: "relay_open", to: peer, link: id })) {
      // Congested, the dialer can still be told (`relay_end` goes), and its dial fails saying why.
      if (carrier.congested) link.close(TRY_LATER, CONGESTED);
      else link.ended(CLOSE.goingAway, LOST);
      return;
    }
    acceptingTotal += 1;
    accepting.set(peer, fromPeer + 1);
    const settled = () => {
      acceptingTotal -= 1;
      const left = (accepting.get(peer) ?? 1) - 1;
      if (left > 0) accepting.set(peer, left);
      else accepting.delete(peer);
    };
    try {
      // The acceptor owns the link from here: it closes it when the handshake fails.
      void Promise.resolve(accept?.(link))
        .catch(() => {})
        .finally(settled);
    } catch {
      settled();
      link.close(CLOSE.protocolError, "the relayed link was not accepted");
    }
  }

  function ended(peer: string, id: string, why: { code: number; reason: string }, dialText: string): void {
    const key = keyOf(peer, id);
    const dial = dials.get(key);
    if (dial) {
      dials.delete(key);
      dial.fail(new DialError("unreachable", dialText));
    }
    links.get(key)?.ended(why.code, why.reason);
  }

  function onMessage(msg: LobbyServerMessage): void {
    switch (msg.type) {
      case "relay_open":
        opened(msg.from, msg.link);
        return;
      case "relay":
        links.get(keyOf(msg.from, msg.link))?.received(msg.frame);
        return;
      case "relay_end": {
        const why = parseEnd(msg.reason);
        ended(
          msg.from,
          msg.link,
          why,
          `${relayAddress(msg.from)} refused the relayed link: ${why.reason || why.code}`,
        );
        return;
      }
      case "undeliverable":
        if (msg.link !== undefined) undeliverable(msg);
        return;
      default:
        return;
    }
  }

  function undeliverable(msg: LobbyServerOf<"undeliverable">): void {
    const text = `cannot relay to ${relayAddress(msg.to)}: the peer is not connected to the lobby`;
    ended(msg.to, msg.link ?? "", { code: CLOSE.goingAway, reason: "peer left the lobby" }, text);
  }

  function onBinary(bytes: Uint8Array): void {
    let read: ReturnType<typeof readRelayBinary>;
    try {
      read = readRelayBinary(bytes);
    } catch {
      return; // Not a relayed frame: nothing a peer can use, and nothing to answer.
    }
    links.get(keyOf(read.peer, read.link))?.received(read.frame);
  }

  function down(): void {
    for (const [key, dial] of [...dials]) {
      dials.delete(key);
      dial.fail(new DialError("unreachable", `${LOST} while the relayed link was opening`));
    }
    for (const link of [...links.values()]) link.ended(CLOSE.goingAway, LOST);
  }

  const unsubscribe = [carrier.on({ message: onMessage, down }), carrier.onBinary(onBinary)];

  async function dial(address: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<Link> {
    const peer = RELAY_ADDRESS.exec(address.trim())?.[1];
    if (!peer)
      throw new DialError("bad_address", `"${address.slice(0, 120)}" is not a relay:<node id> address`);
    const cancelled = () => new DialError("aborted", `the dial of ${relayAddress(peer)} was cancelled`);
    if (signal?.aborted) throw cancelled();
    const why = opts.disabled?.();
    if (why) throw new DialError("disabled", why);
    // A turn of the event loop first, as a socket's connect takes one, so an abort can land before
    // the peer is asked (and has to be told to forget a half-open link).
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (signal?.aborted) throw cancelled();
    if (!carrier.registered) throw new DialError("unreachable", "no lobby connection to relay through");
    let id = randomBytes(4).toString("hex");
    while (links.has(keyOf(peer, id)) || dials.has(keyOf(peer, id))) id = randomBytes(4).toString("hex");
    const key = keyOf(peer, id);
    return new Promise<Link>((resolve, reject) => {
      const settle = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        dials.delete(key);
      };
      const giveUp = (err: DialError, reason: string) => {
        settle();
        carrier.send({ type: "relay_end", to: peer, link: id, reason: endReason(CLOSE.goingAway, reason) });
        reject(err);
      };
      const onAbort = () => giveUp(cancelled(), "dial cancelled");
      const timer = setTimeout(
        () =>
          giveUp(
            new DialError("timeout", `no answer from ${relayAddress(peer)} within ${timeoutMs} ms`),
            "dial timed out",
          ),
        timeoutMs,
      );
      signal?.addEventListener("abort", onAbort, { once: true });
      dials.set(key, {
        resolve(link) {
          settle();
          resolve(link);
        },
        fail(err) {
          settle();
          reject(err);
        },
      });
      if (!carrier.send({ type: "relay_open", to: peer, link: id })) {
        settle();
        const why = carrier.congested ? CONGESTED : "no lobby connection to relay through";
        reject(new DialError("unreachable", why));
      }
    });
  }

  return {
    name: RELAY,
    lastResort: true,
    disabled: () => opts.disabled?.(),
    handles: (address) => RELAY_ADDRESS.test(address.trim()),
    dial: (address, dialOptions) =>
      dial(address, dialOptions?.timeoutMs ?? opts.openTimeoutMs ?? 5_000, dialOptions?.signal),
    listen(listener) {
      accept = listener;
      return () => {
        if (accept === listener) accept = undefined;
      };
    },
    close() {
      for (const stop of unsubscribe) stop();
      accept = undefined;
      for (const link of [...links.values()]) link.close(CLOSE.goingAway, "relay stopped");
      down();
    },
  };
}
