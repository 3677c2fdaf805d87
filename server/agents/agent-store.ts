import { and, desc, eq, notInArray } from "drizzle-orm";
import type { AgentAsk, ApprovalPolicy, AskState } from "../../protocol/agent.ts";
import type { WeftDb } from "../db/database.ts";
import { agentRequests, peers } from "../db/schema.ts";

type Row = typeof agentRequests.$inferSelect;
type Direction = Row["direction"];

/** The states an ask does not leave. */
export const FINAL_STATES: ReadonlySet<AskState> = new Set(["done", "rejected", "failed", "cancelled"]);

/** What changes of an ask as it goes on. */
export interface AskChange {
  state?: AskState;
  answer?: string;
  error?: string | null;
  decision?: string | null;
}

/**
 * Every question for an agent, both ways, and the per-peer approval policies (`peers.agent_policy`).
 * Written before anything is sent or run, so a crash loses no question and a repeat finds its row.
 */
export class AgentStore {
  readonly #db: WeftDb;
  readonly #peerName: (peerId: string) => string;

  constructor(db: WeftDb, peerName: (peerId: string) => string) {
    this.#db = db;
    this.#peerName = peerName;
  }

  /** Records a new question; false when one with this key exists already (a repeat). */
  add(
    direction: Direction,
    peerId: string,
    requestId: string,
    prompt: string,
    state: AskState,
    decided: { error?: string; decision?: string } = {},
  ): boolean {
    const now = Date.now();
    const inserted = this.#db
      .insert(agentRequests)
      .values({ direction, peerId, requestId, prompt, state, ...decided, createdAt: now, updatedAt: now })
      .onConflictDoNothing()
      .returning({ requestId: agentRequests.requestId })
      .all();
    return inserted.length > 0;
  }

  get(direction: Direction, peerId: string, requestId: string): AgentAsk | undefined {
    const row = this.#db
      .select()
      .from(agentRequests)
      .where(this.#key(direction, peerId, requestId))
      .get();
    return row ? this.#ask(row) : undefined;
  }

  /** An out question by its id alone: this node made the id, so it is unique among its own. */
  outgoing(requestId: string): AgentAsk | undefined {
    const row = this.#db
      .select()
      .from(agentRequests)
      .where(and(eq(agentRequests.direction, "out"), eq(agentRequests.requestId, requestId)))
      .get();
    return row ? this.#ask(row) : undefined;
  }

  /** Applies `change` unless the ask is over already; the ask as it is now, or undefined if unknown. */
  update(direction: Direction, peerId: string, requestId: string, change: AskChange): AgentAsk | undefined {
    // One statement: a final ask is left as it is, and the row comes back with the change.
    const [row] = this.#db
      .update(agentRequests)
      .set({ ...change, updatedAt: Date.now() })
      .where(and(this.#key(direction, peerId, requestId), notInArray(agentRequests.state, [...FINAL_STATES])))
      .returning()
      .all();
    return row ? this.#ask(row) : this.get(direction, peerId, requestId);
  }

  /** The newest asks first, both ways. */
  list(limit = 100): AgentAsk[] {
    return this.#db
      .select()
      .from(agentRequests)
      .orderBy(desc(agentRequests.createdAt))
      .limit(limit)
      .all()
      .map((r) => this.#ask(r));
  }

  /** Questions this node asked that have no result yet: resent when their peer links again. */
  unfinishedOut(peerId: string): AgentAsk[] {
    return this.#db
      .select()
      .from(agentRequests)
      .where(and(eq(agentRequests.direction, "out"), eq(agentRequests.peerId, peerId)))
      .all()
      .map((r) => this.#ask(r))
      .filter((a) => !FINAL_STATES.has(a.state));
  }

  /** Questions asked of this node still open when it stopped: they cannot go on, so they failed. */
  failUnfinishedIn(reason: string): number {
    let n = 0;
    for (const row of this.#db.select().from(agentRequests).where(eq(agentRequests.direction, "in")).all()) {
      if (FINAL_STATES.has(row.state as AskState)) continue;
      this.update("in", row.peerId, row.requestId, { state: "failed", error: reason });
      n += 1;
    }
    return n;
  }

  /** The peer's own policy (`peers.agent_policy`, written through the fabric's peer store), or null. */
  policyOf(peerId: string): ApprovalPolicy | null {
    return (
      this.#db.select({ p: peers.agentPolicy }).from(peers).where(eq(peers.nodeId, peerId)).get()?.p ?? null
    );
  }

  #key(direction: Direction, peerId: string, requestId: string) {
    return and(
      eq(agentRequests.direction, direction),
      eq(agentRequests.peerId, peerId),
      eq(agentRequests.requestId, requestId),
    );
  }

  #ask(r: Row): AgentAsk {
    return {
      request_id: r.requestId,
      direction: r.direction,
      peer_id: r.peerId,
      peer_name: this.#peerName(r.peerId),
      prompt: r.prompt,
      state: r.state as AskState,
      answer: r.answer,
      error: r.error,
      decision: r.decision,
      created_at: r.createdAt,
      updated_at: r.updatedAt,
    };
  }
}
