import type { z } from "zod";
import type { PeerSession, SealedHeader } from "./peer-session.ts";

/** A handler for one peer message type; `data` is already parsed with its schema. */
export type PeerHandler<T> = (peer: PeerSession, data: T, env: SealedHeader) => void | Promise<void>;

interface Entry {
  schema: z.ZodType;
  handler: PeerHandler<unknown>;
  fromAnyPeer: boolean;
}

/** What the registry reports back: a refused frame (counted) and a handler that failed (logged). */
export interface DispatchReports {
  isTrusted(nodeId: string): boolean;
  refused(code: string, session: PeerSession): void;
  failed(type: string, err: unknown): void;
}

/**
 * The peer message types this node accepts, each with its schema and handler. It is the type
 * allow-list of every session: a type not registered here is answered with `error`. A Map, not an
 * object, so a type named "__proto__" or "toString" finds nothing.
 */
export class MessageRegistry {
  readonly #entries = new Map<string, Entry>();

  /**
   * Registers a type: its frames are parsed with `schema`, and reach `handler` only from a
   * trusted, unblocked peer unless `fromAnyPeer` (the session's own types).
   */
  handle<S extends z.ZodType>(
    type: string,
    schema: S,
    handler: PeerHandler<z.output<S>>,
    options: { fromAnyPeer?: boolean } = {},
  ): void {
    if (this.#entries.has(type)) throw new Error(`peer type ${type} registered twice`);
    this.#entries.set(type, {
      schema,
      handler: handler as PeerHandler<unknown>,
      fromAnyPeer: options.fromAnyPeer === true,
    });
  }

  schemaOf(type: string): z.ZodType | undefined {
    return this.#entries.get(type)?.schema;
  }

  /** Hands an accepted frame to its handler; nothing a handler throws escapes. */
  dispatch(session: PeerSession, type: string, data: unknown, env: SealedHeader, r: DispatchReports): void {
    const entry = this.#entries.get(type);
    if (!entry) return;
    if (!entry.fromAnyPeer && !r.isTrusted(session.peerId)) {
      r.refused("untrusted", session);
      return;
    }
    try {
      const result = entry.handler(session, data, env);
      if (result instanceof Promise) result.catch((err) => r.failed(type, err));
    } catch (err) {
      r.failed(type, err);
    }
  }
}
