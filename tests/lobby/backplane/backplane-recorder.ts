import type { BackplaneHealth, BackplaneListener, HeldNode } from "../../../lobby/backplane/backplane.ts";

/** What a backplane told its instance, one entry per listener call. */
export type Event =
  | { kind: "delivery"; to: string; frame: string | Uint8Array }
  | { kind: "nodeChanged"; node: HeldNode }
  | { kind: "nodeLeft"; nodeId: string }
  | { kind: "replaced"; nodeId: string }
  | { kind: "guestExpired"; roomId: string; guest: string }
  | { kind: "seatLost"; roomId: string; guest: string }
  | { kind: "health"; status: BackplaneHealth };

/** Records what a backplane tells its instance, and waits for it. */
export class Recorder implements BackplaneListener {
  readonly events: Event[] = [];
  delivery(to: string, frame: string | Uint8Array) {
    this.events.push({ kind: "delivery", to, frame });
  }
  nodeChanged(node: HeldNode) {
    this.events.push({ kind: "nodeChanged", node });
  }
  nodeLeft(nodeId: string) {
    this.events.push({ kind: "nodeLeft", nodeId });
  }
  replaced(nodeId: string) {
    this.events.push({ kind: "replaced", nodeId });
  }
  guestExpired(roomId: string, guest: string) {
    this.events.push({ kind: "guestExpired", roomId, guest });
  }
  seatLost(roomId: string, guest: string) {
    this.events.push({ kind: "seatLost", roomId, guest });
  }
  health(status: BackplaneHealth) {
    this.events.push({ kind: "health", status });
  }

  of<K extends Event["kind"]>(kind: K): Extract<Event, { kind: K }>[] {
    return this.events.filter((e): e is Extract<Event, { kind: K }> => e.kind === kind);
  }

  /** Resolves with the first event (from `from` on) that `match` takes, or throws after `ms`. */
  async next<K extends Event["kind"]>(
    kind: K,
    match: (e: Extract<Event, { kind: K }>) => boolean = () => true,
    ms = 5_000,
    from = 0,
  ): Promise<Extract<Event, { kind: K }>> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.events
        .slice(from)
        .find((e) => e.kind === kind && match(e as Extract<Event, { kind: K }>));
      if (found) return found as Extract<Event, { kind: K }>;
      if (Date.now() > deadline) throw new Error(`no ${kind} event within ${ms} ms`);
      await Bun.sleep(10);
    }
  }
}
