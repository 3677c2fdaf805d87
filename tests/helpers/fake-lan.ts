import type { Advertisement, HeardService, Mdns } from "../../server/lan/mdns.ts";

type Listener = { up(service: HeardService): void; down(fqdn: string): void };

/**
 * A network's mDNS in memory: what one node advertises every browse hears, from the address the
 * test says, and a close says goodbye. `shout` puts any answer on it, as a stranger could.
 */
export class FakeLan {
  readonly #listeners = new Set<Listener>();
  readonly #ads = new Map<string, HeardService>();
  readonly from: string;

  constructor(from = "127.0.0.1") {
    this.from = from;
  }

  mdns = (): Mdns => {
    const mine = new Set<string>();
    const browses = new Set<Listener>();
    return {
      advertise: (ad: Advertisement) => {
        const service = {
          fqdn: `${ad.instance}._weft._tcp.local`,
          txt: ad.txt,
          port: ad.port,
          from: this.from,
        };
        mine.add(service.fqdn);
        this.shout(service);
      },
      browse: (heard) => {
        browses.add(heard);
        this.#listeners.add(heard);
        for (const s of this.#ads.values()) heard.up(s);
        return {
          stop: () => {
            browses.delete(heard);
            this.#listeners.delete(heard);
          },
        };
      },
      close: async () => {
        for (const b of browses) this.#listeners.delete(b);
        for (const fqdn of mine) this.goodbye(fqdn);
      },
    };
  };

  shout(service: HeardService): void {
    this.#ads.set(service.fqdn, service);
    for (const l of [...this.#listeners]) l.up(service);
  }

  goodbye(fqdn: string): void {
    this.#ads.delete(fqdn);
    for (const l of [...this.#listeners]) l.down(fqdn);
  }

  /** Forgets an advertisement without a goodbye, as a node that crashed leaves it. */
  vanish(fqdn: string): void {
    this.#ads.delete(fqdn);
  }

  get advertised(): HeardService[] {
    return [...this.#ads.values()];
  }
}
