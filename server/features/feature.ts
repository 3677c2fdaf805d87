import type { Hono } from "hono";
import type { z } from "zod";
import type { WeftDb } from "../db/database.ts";
import type { PeerHandler } from "../fabric/peer-hub.ts";
import type { HttpContext, HttpEnv } from "../http/context.ts";
import type { LobbyClient } from "../lobby/lobby-client.ts";
import type { SettingDefinition } from "../settings/registry.ts";
import type { BrowserHub, BrowserSocket } from "../ws/browser-hub.ts";

/** The node's shared parts, which every feature is built from: what routes get, and more. */
export interface FeatureContext extends HttpContext {
  db: WeftDb;
  browsers: BrowserHub;
  /** The node's lobby socket (its relay is one of the fabric's transports). */
  lobby: LobbyClient;
}

/** A channel on the tabs' `/ws`: frames on it are parsed with `schema` before `handle` sees them. */
export interface BrowserChannel<S extends z.ZodType = z.ZodType> {
  name: string;
  schema: S;
  handle(socket: BrowserSocket, message: z.output<S>): void | Promise<void>;
}

/**
 * A sealed peer message type. The hub parses `data` with `schema` and hands it over only from a
 * peer that is trusted and not blocked, so no handler repeats that check.
 */
export interface PeerMessageType<S extends z.ZodType = z.ZodType> {
  type: string;
  schema: S;
  handle: PeerHandler<z.output<S>>;
  /**
   * Reaches `handle` from a linked peer that is not trusted too, so the feature can answer it
   * with a reason of its own (an agent question gets `not trusted`) instead of silence.
   */
  fromAnyPeer?: boolean;
}

/**
 * A running feature: everything it plugs into the node, in one place. All parts are optional; a
 * feature sends and receives its peer messages in its own folder.
 */
export interface Feature<Api = unknown> {
  /** What the feature offers other code (tests, other features); its own service, usually. */
  readonly api: Api;
  /** Advertised in `hello` and `GET /api/network/identity`. */
  readonly capabilities?: readonly string[];
  readonly channel?: BrowserChannel;
  readonly peerTypes?: readonly PeerMessageType[];
  /** REST routes, mounted at `/api/<mount>`. */
  readonly routes?: { mount: string; app: Hono<HttpEnv> };
  /** Runs once every feature is registered and the listener is up; awaited in list order. */
  start?(): void | Promise<void>;
  /** Runs in reverse order of start, before the database closes; awaited. */
  stop?(): void | Promise<void>;
}

/**
 * A feature as the node lists it: its settings (declared before any store opens) and how to
 * build it. `create` may use the `api` of features listed before it, via `features`.
 */
export interface FeatureDefinition<Api = unknown> {
  readonly name: string;
  readonly settings?: readonly SettingDefinition[];
  create(ctx: FeatureContext, features: FeatureApis): Feature<Api>;
}

/** The `api` of every feature built so far, by name. */
export interface FeatureApis {
  get<Api>(definition: FeatureDefinition<Api>): Api;
}

/** Declares a browser channel with its message type inferred from the schema. */
export const browserChannel = <S extends z.ZodType>(c: BrowserChannel<S>): BrowserChannel =>
  c as unknown as BrowserChannel;

/** Declares a peer message type with its data type inferred from the schema. */
export const peerMessageType = <S extends z.ZodType>(
  type: string,
  schema: S,
  handle: PeerHandler<z.output<S>>,
  options: { fromAnyPeer?: boolean } = {},
): PeerMessageType => ({ type, schema, handle: handle as PeerHandler<unknown>, ...options });

/** Declares a feature, keeping its `api` type for `features.get`. */
export const defineFeature = <Api>(definition: FeatureDefinition<Api>): FeatureDefinition<Api> => definition;
