import type { EventEmitter } from "node:events";
import { Bonjour, type Service } from "bonjour-service";
import { LAN_SERVICE_TYPE } from "../../protocol/lan.ts";

/** One service as an mDNS answer described it: nothing in it has been checked yet. */
export interface HeardService {
  fqdn: string;
  txt: unknown;
  port: unknown;
  /** The IPv4 address the answer came from. */
  from: string | undefined;
}

export interface Advertisement {
  /** The DNS-SD instance name a browser shows (`alice (abcd1234)`). */
  instance: string;
  /** The host name of the SRV and A records, unique to this node. */
  host: string;
  port: number;
  txt: Record<string, string>;
}

/** One browse of `_weft._tcp`: its services are heard afresh, so a new one is a census. */
export interface Browse {
  stop(): void;
}

/** The mDNS a discovery needs; tests give one of their own, the node the bonjour-service one. */
export interface Mdns {
  advertise(ad: Advertisement): void;
  browse(heard: { up(service: HeardService): void; down(fqdn: string): void }): Browse;
  /** Says goodbye (TTL 0) for what was advertised, then closes the socket. */
  close(): Promise<void>;
}

/** How long a goodbye may take before the socket is closed anyway, so a stop never hangs. */
const GOODBYE_MS = 500;

/**
 * mDNS over bonjour-service. Its socket's events run its parsers on whatever anyone on the
 * network sends, and an exception there, or an `error` event without a listener (the port taken),
 * would end the process: both are caught here and reported.
 */
export function bonjourMdns(report: (problem: string, err: Error) => void): Mdns {
  const bonjour = new Bonjour({}, (err: Error) => report("mDNS answer failed", err));
  const socket = (bonjour as unknown as { server: { mdns: EventEmitter } }).server.mdns;
  const emit = socket.emit.bind(socket);
  socket.emit = (event: string | symbol, ...args: unknown[]) => {
    try {
      return emit(event, ...args);
    } catch (err) {
      report("a malformed mDNS packet was ignored", err as Error);
      return true;
    }
  };
  socket.on("error", (err: Error) => report("mDNS could not start", err));
  socket.on("warning", () => {});
  let closed = false;
  return {
    advertise(ad) {
      bonjour.publish({
        name: ad.instance,
        type: LAN_SERVICE_TYPE,
        host: ad.host,
        port: ad.port,
        txt: ad.txt,
        // The instance name carries the node id, so no one else's can collide with it.
        probe: false,
      });
    },
    browse(heard) {
      const browser = bonjour.find({ type: LAN_SERVICE_TYPE });
      const up = (s: Service) =>
        heard.up({ fqdn: String(s.fqdn), txt: s.txt, port: s.port, from: s.referer?.address });
      browser.on("up", up);
      browser.on("txt-update", up);
      browser.on("srv-update", up);
      browser.on("down", (s: Service) => heard.down(String(s.fqdn)));
      return { stop: () => browser.stop() };
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      return new Promise((resolve) => {
        let finished = false;
        const done = () => {
          if (finished) return;
          finished = true;
          clearTimeout(timer);
          try {
            bonjour.destroy();
          } catch {
            // Already closed by an error: nothing left to release.
          }
          resolve();
        };
        const timer = setTimeout(done, GOODBYE_MS);
        try {
          bonjour.unpublishAll(done);
        } catch {
          done();
        }
      });
    },
  };
}
