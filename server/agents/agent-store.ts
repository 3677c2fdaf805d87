import { and, desc, eq, notInArray, type SQL, sql } from "drizzle-orm";
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

/** A placeholder where drizzle's `set()` and comparison types accept only SQL or values. */
const param = (name: string) => sql`${sql.placeholder(name)}`;
const byKey = and(
  eq(agentRequests.direction, param("direction")),
  eq(agentRequests.peerId, param("peerId")),
  eq(agentRequests.requestId, param("requestId")),
);
const CHANGE_COLUMNS = ["state", "answer", "error", "decision"] as const satisfies ReadonlyArray<
  keyof AskChange
>;

/**
 * The statements every ask runs, built once: drizzle rebuilds and SQLite re-prepares the SQL on
 * every call otherwise, which profiles put at two fifths of an ask's time.
 */
function prepare(db: WeftDb) {
  return {
    add: db
      .insert(agentRequests)
      .values({
        direction: param("direction"),
        peerId: param("peerId"),
        requestId: param("requestId"),
        prompt: param("prompt"),
        state: param("state"),
        error: param("error"),
        decision: param("decision"),
        createdAt: param("now"),
        updatedAt: param("now"),
      })
      .onConflictDoNothing()
      .returning({ requestId: agentRequests.requestId })
      .prepare(),
    get: db.select().from(agentRequests).where(byKey).prepare(),
    outgoing: db
      .select()
      .from(agentRequests)
      .where(and(eq(agentRequests.direction, "out"), eq(agentRequests.requestId, param("requestId"))))
      .prepare(),
    policyOf: db
      .select({ p: peers.agentPolicy })
      .from(peers)
      .where(eq(peers.nodeId, param("peerId")))
      .prepare(),
  };
}

/** One update per set of columns a change names (there are at most 2⁴), prepared when first used. */
function updateFor(db: WeftDb, columns: ReadonlyArray<(typeof CHANGE_COLUMNS)[number]>) {
  const set: Record<string, SQL> = { updatedAt: param("now") };
  for (const c of columns) set[c] = param(c);
  return (
    db
      .update(agentRequests)
      .set(set)
      // One statement: a final ask is left as it is, and the row comes back with the change.
      .where(and(byKey, notInArray(agentRequests.state, [...FINAL_STATES])))
      .returning()
      .prepare()
  );
}

/**
 * Every question for an agent, both ways, and the per-peer approval policies (`peers.agent_policy`).
 * Written before anything is sent or run, so a crash loses no question and a repeat finds its row.
 */
export class AgentStore {
  readonly #db: WeftDb;
  readonly #peerName: (peerId: string) => string;
  readonly #q: ReturnType<typeof prepare>;
  readonly #updates = new Map<string, ReturnType<typeof updateFor>>();

  constructor(db: WeftDb, peerName: (peerId: string) => string) {
    this.#db = db;
    this.#peerName = peerName;
    this.#q = prepare(db);
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
    const inserted = this.#q.add.all({
      direction,
      peerId,
      requestId,
      prompt,
      state,
      error: decided.error ?? null,
      decision: decided.decision ?? null,
      now: Date.now(),
    });
    return inserted.length > 0;
  }

  get(direction: Direction, peerId: string, requestId: string): AgentAsk | undefined {
    const row = this.#q.get.get({ direction, peerId, requestId });
    return row ? this.#ask(row) : undefined;
  }

  /** An out question by its id alone: this node made the id, so it is unique among its own. */
  outgoing(requestId: string): AgentAsk | undefined {
    const row = this.#q.outgoing.get({ requestId });
    return row ? this.#ask(row) : undefined;
  }

  /** Applies `change` unless the ask is over already; the ask as it is now, or undefined if unknown. */
  update(direction: Direction, peerId: string, requestId: string, change: AskChange): AgentAsk | undefined {
    const columns = CHANGE_COLUMNS.filter((c) => change[c] !== undefined);
    const signature = columns.join(",");
    let statement = this.#updates.get(signature);
    if (!statement) {
      statement = updateFor(this.#db, columns);
      this.#updates.set(signature, statement);
    }
    const values: Record<string, unknown> = { direction, peerId, requestId, now: Date.now() };
    for (const c of columns) values[c] = change[c];
    const [row] = statement.all(values);
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
    return this.#q.policyOf.get({ peerId })?.p ?? null;
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
