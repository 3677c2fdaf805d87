import { isIPv4 } from "node:net";
import type { udp } from "bun";
import { classes, isComprehensionRequiredAttribute, methods } from "werift-ice/lib/ice-server/src/stun/const";
import { Message, parseMessage } from "werift-ice/lib/ice-server/src/stun/message";
import type { Logger } from "../server/log.ts";
import { WEFT_VERSION } from "../server/version.ts";
import { Bucket } from "./budget.ts";

/**
 * The lobby's STUN server (docs/architecture.md, "The lobby"): it answers binding requests on UDP
 * so a node learns its public address from the lobby it already trusts, and no third party is
 * contacted. Binding only: no TURN, no credentials, nothing stored per request. Messages are parsed
 * and built by werift-ice's STUN codec, never by hand; anything that is not a well-formed binding
 * request is dropped unanswered.
 *
 * An answer goes to whatever address the datagram claims to come from, so a spoofed source could
 * aim answers at someone else. They are a few dozen bytes, about the size of the request, and
 * each source address and the whole server have a rate past which requests are dropped.
 */
export interface StunResponder {
  /** The UDP port it answers on. */
  port: number;
  /** Binding requests answered, and datagrams dropped (malformed, not a request, or over a rate). */
  counters(): Readonly<{ answered: number; dropped: number }>;
  stop(): void;
}

export interface StunResponderOptions {
  host: string;
  port: number;
  log: Logger;
  /** Requests one source address may have answered per second (burst: twice that). */
  perSourcePerSec: number;
  /** Requests answered per second in all. */
  totalPerSec: number;
}

/** The most source addresses whose rate is tracked; past it the table starts afresh. */
const MAX_TRACKED_SOURCES = 10_000;
/** Bigger than any binding request a client sends; a larger datagram is not ours. */
const MAX_DATAGRAM_BYTES = 1_500;
const SOFTWARE = `weft lobby ${WEFT_VERSION}`;

/** Thrown when the STUN port cannot be bound: in use, or not allowed. */
export class StunBindError extends Error {}

/** Binds `host:port` over UDP and answers STUN binding requests there until `stop`. */
export async function startStunResponder(opts: StunResponderOptions): Promise<StunResponder> {
  const counted = { answered: 0, dropped: 0 };
  const sources = new Map<string, Bucket>();
  const total = new Bucket(opts.totalPerSec, opts.totalPerSec, performance.now());

  const allowed = (address: string, now: number): boolean => {
    let bucket = sources.get(address);
    if (!bucket) {
      if (sources.size >= MAX_TRACKED_SOURCES) sources.clear();
      bucket = new Bucket(opts.perSourcePerSec, opts.perSourcePerSec * 2, now);
      sources.set(address, bucket);
    }
    return bucket.take(1, now) && total.take(1, now);
  };

  const onDatagram = (socket: udp.Socket<"buffer">, data: Buffer, port: number, address: string) => {
    const answer =
      data.length <= MAX_DATAGRAM_BYTES && allowed(address, performance.now())
        ? answerTo(data, port, address)
        : undefined;
    if (!answer) {
      counted.dropped += 1;
      return;
    }
    counted.answered += 1;
    socket.send(answer, port, address);
  };

  let socket: udp.Socket<"buffer">;
  try {
    socket = await Bun.udpSocket({
      hostname: opts.host,
      port: opts.port,
      binaryType: "buffer",
      socket: {
        data: (s, data, port, address) => {
          try {
            onDatagram(s, data, port, address);
          } catch (err) {
            // A datagram is never worth the process: whatever went wrong, it goes unanswered.
            counted.dropped += 1;
            opts.log.debug("lobby: STUN datagram failed", { error: String(err) });
          }
        },
        // An answer to a port nobody holds comes back as ICMP "unreachable", reported here; the
        // asker has gone, and so has any reason to care.
        error: (_s, err) => opts.log.debug("lobby: STUN socket error", { error: String(err) }),
      },
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new StunBindError(
      code === "EADDRINUSE"
        ? `UDP port ${opts.port} is in use`
        : `cannot bind UDP ${opts.host}:${opts.port}: ${(err as Error).message}`,
    );
  }
  return {
    port: socket.port,
    counters: () => ({ ...counted }),
    stop: () => socket.close(),
  };
}

/**
 * The answer to one datagram, or undefined to drop it: a binding success carrying the source
 * address as seen here, or a 420 error naming attributes the request requires but STUN binding
 * here does not know (RFC 8489 section 6.3.1).
 */
export function answerTo(data: Buffer, port: number, address: string): Buffer | undefined {
  const request = parseMessage(data);
  if (!request || request.messageMethod !== methods.BINDING || request.messageClass !== classes.REQUEST) {
    return undefined;
  }
  const unknown = request.unknownAttributeTypes.filter(isComprehensionRequiredAttribute);
  if (unknown.length > 0) {
    return new Message(methods.BINDING, classes.ERROR, request.transactionId)
      .setAttribute("ERROR-CODE", [420, "Unknown Attribute"])
      .setAttribute("UNKNOWN-ATTRIBUTES", unknown)
      .setAttribute("SOFTWARE", SOFTWARE)
      .addFingerprint().bytes;
  }
  return new Message(methods.BINDING, classes.RESPONSE, request.transactionId)
    .setAttribute("XOR-MAPPED-ADDRESS", [plainAddress(address), port])
    .setAttribute("SOFTWARE", SOFTWARE)
    .addFingerprint().bytes;
}

/** A dual-stack socket reports IPv4 senders as `::ffff:a.b.c.d`; STUN wants them as IPv4. */
function plainAddress(address: string): string {
  const mapped = /^::ffff:(.+)$/i.exec(address)?.[1];
  return mapped && isIPv4(mapped) ? mapped : address;
}
