/**
 * What the Lobby pane knows, and how each `lobby` channel event (protocol/lobby-channel.ts) and
 * each thing the pane did changes it: one pure reducer, so every transition is testable without a
 * browser. The node holds the lobby socket; `state` is its word, the rest is this tab's view of
 * the joins it follows and the answers it waits for.
 */

import type { RoomSummary } from "../../protocol/lobby.ts";
import type {
  HostedRoom,
  JoinRequest,
  JoinStep,
  LobbyServerEvent,
  LobbyState,
} from "../../protocol/lobby-channel.ts";
import { laterStep, type ProgressStep } from "./lobby-steps.ts";

export type RoomPolicy = RoomSummary["policy"];

/** One room join this tab follows: one it started, or one another tab started on this node. */
export interface JoinAttempt {
  room_id: string;
  /** The room's name when a listing told it; a join by id may not know it. */
  room_name: string | null;
  /** What the room asks of guests, when known (a listed room, or a token was given). */
  policy: RoomPolicy | null;
  /** Kept so Retry sends the same join again. */
  token: string | undefined;
  step: JoinStep;
  /** The furthest step reached; kept when the join fails, to show where it stopped. */
  reached: ProgressStep;
  /** Steps the node reported, in order of arrival. */
  seen: readonly JoinStep[];
  transport: string | null;
  /** Why it failed, with `failed`. */
  error: string | null;
  /** The host the join linked with, once `joined`. */
  peer: { node_id: string; node_name: string } | null;
}

/** The answers this tab waits for that carry no request id, so an `error` can be pinned on one. */
export type Awaiting = "connect" | "create";

/** Everything the pane shows. */
export interface LobbyView {
  /** The node's lobby state; null until its first answer. */
  state: LobbyState | null;
  /** Why the first `state` could not be had, while `state` is null. */
  loadError: string | null;
  /** Joins being followed, newest first. */
  joins: readonly JoinAttempt[];
  awaiting: Awaiting | null;
  /** Why the last Connect or Create was refused, shown under its form. */
  connectError: string | null;
  createError: string | null;
}

/** What the pane itself did, applied through the same reducer as the node's events. */
export type LobbyLocalAction =
  | {
      event: "join_started";
      data: {
        room_id: string;
        token?: string | undefined;
        room_name?: string | null;
        policy?: RoomPolicy | null;
      };
    }
  | { event: "join_dismissed"; data: { room_id: string } }
  | { event: "request_settled"; data: { room_id: string; node_id: string } }
  | { event: "sent"; data: { what: Awaiting } };

export type LobbyAction = LobbyServerEvent | LobbyLocalAction;

export function initialLobbyView(): LobbyView {
  return { state: null, loadError: null, joins: [], awaiting: null, connectError: null, createError: null };
}

/** The next view after `action`. Never throws: every event is already parsed by its schema. */
export function reduceLobby(view: LobbyView, action: LobbyAction): LobbyView {
  switch (action.event) {
    case "state": {
      const state = action.data;
      const connectError = state.status === "off" ? view.connectError : null;
      const awaiting = view.awaiting === "connect" ? null : view.awaiting;
      return { ...view, state, loadError: null, connectError, awaiting };
    }
    case "rooms":
      return withState(view, (s) => ({ ...s, public_rooms: action.data.rooms }));
    case "directory":
      return withState(view, (s) => ({ ...s, directory: action.data.directory }));
    case "room_created": {
      const room = action.data.room;
      const next = withState(view, (s) => ({ ...s, rooms: upsertRoom(s.rooms, room) }));
      return { ...next, awaiting: view.awaiting === "create" ? null : view.awaiting, createError: null };
    }
    case "join_request": {
      const request = action.data;
      return withState(view, (s) => ({ ...s, requests: upsertRequest(s.requests, request) }));
    }
    case "join_progress":
      return onProgress(view, action.data);
    case "joined":
      return onJoined(view, action.data);
    case "error":
      return onError(view, action.data.message);
    case "join_started": {
      const { room_id, token, room_name, policy } = action.data;
      const listed = view.state?.public_rooms.find((r) => r.id === room_id);
      const attempt: JoinAttempt = {
        ...freshAttempt(room_id, room_name ?? listed?.name ?? null, policy ?? listed?.policy ?? null),
        token,
      };
      return { ...view, joins: [attempt, ...view.joins.filter((j) => j.room_id !== room_id)] };
    }
    case "join_dismissed":
      return { ...view, joins: view.joins.filter((j) => j.room_id !== action.data.room_id) };
    case "request_settled": {
      const { room_id, node_id } = action.data;
      return withState(view, (s) => ({ ...s, requests: withoutRequest(s.requests, room_id, node_id) }));
    }
    case "sent":
      return action.data.what === "connect"
        ? { ...view, awaiting: "connect", connectError: null }
        : { ...view, awaiting: "create", createError: null };
  }
}

/** The waiting join requests, for the pane's badge. */
export function waitingRequests(view: LobbyView): number {
  return view.state?.requests.length ?? 0;
}

/** The key a join request is known by: one guest per room. */
export function requestKey(request: Pick<JoinRequest, "room_id"> & { guest: { node_id: string } }): string {
  return `${request.room_id}:${request.guest.node_id}`;
}

type Progress = Extract<LobbyServerEvent, { event: "join_progress" }>["data"];
type Joined = Extract<LobbyServerEvent, { event: "joined" }>["data"];

function onProgress(view: LobbyView, progress: Progress): LobbyView {
  const known = view.joins.find((j) => j.room_id === progress.room_id);
  // A join another tab started shows here too: every tab sees the same node.
  let attempt = known ?? listedAttempt(view, progress.room_id);
  const { step } = progress;
  // `joining` again is a new try of the same room (a Retry from another tab): start over.
  if (step === "joining" && known && known.step !== "joining") {
    attempt = { ...freshAttempt(known.room_id, known.room_name, known.policy), token: known.token };
  }
  const next: JoinAttempt = {
    ...attempt,
    step,
    reached: step === "failed" ? attempt.reached : laterStep(attempt.reached, step),
    seen: attempt.seen.includes(step) ? attempt.seen : [...attempt.seen, step],
    transport: progress.transport ?? attempt.transport,
    error: step === "failed" ? (progress.error ?? "The join failed.") : null,
  };
  return { ...view, joins: replaceJoin(view.joins, next, known === undefined) };
}

function onJoined(view: LobbyView, joined: Joined): LobbyView {
  const hosted = view.state?.rooms.some((r) => r.id === joined.room_id) ?? false;
  // On the host's side a join is a guest let in: its request is settled.
  const settled = withState(view, (s) => ({
    ...s,
    requests: withoutRequest(s.requests, joined.room_id, joined.node_id),
  }));
  if (hosted) return settled;
  const known = view.joins.find((j) => j.room_id === joined.room_id);
  const attempt = known ?? listedAttempt(view, joined.room_id);
  const next: JoinAttempt = {
    ...attempt,
    step: "connected",
    reached: "connected",
    transport: joined.transport,
    error: null,
    peer: { node_id: joined.node_id, node_name: joined.node_name },
  };
  return { ...settled, joins: replaceJoin(view.joins, next, known === undefined) };
}

/**
 * The channel's errors carry no request id, so they are pinned on what this tab waits for: a
 * join still asking the lobby (the lobby refuses a join before it answers with the room), then a
 * Connect or Create, then the first load. One that repeats why a join just failed (the node
 * reports a refused join both ways) is already shown; one that fits nothing is the pane's to show.
 */
function onError(view: LobbyView, message: string): LobbyView {
  switch (errorLands(view, message)) {
    case "join": {
      const asking = view.joins.find((j) => j.step === "joining");
      if (!asking) return view;
      const failed: JoinAttempt = { ...asking, step: "failed", error: message };
      return { ...view, joins: replaceJoin(view.joins, failed, false) };
    }
    case "connect":
      return { ...view, awaiting: null, connectError: message };
    case "create":
      return { ...view, awaiting: null, createError: message };
    case "load":
      return { ...view, loadError: message };
    case "shown":
    case null:
      return view;
  }
}

/** Where `onError` puts an error with `message`: null when nothing waits for it. */
export function errorLands(view: LobbyView, message: string): "join" | "shown" | Awaiting | "load" | null {
  if (view.joins.some((j) => j.step === "joining")) return "join";
  if (view.joins.some((j) => j.step === "failed" && j.error && message.endsWith(j.error))) return "shown";
  if (view.awaiting) return view.awaiting;
  return view.state === null ? "load" : null;
}

function freshAttempt(room_id: string, room_name: string | null, policy: RoomPolicy | null): JoinAttempt {
  return {
    room_id,
    room_name,
    policy,
    token: undefined,
    step: "joining",
    reached: "joining",
    seen: [],
    transport: null,
    error: null,
    peer: null,
  };
}

function listedAttempt(view: LobbyView, room_id: string): JoinAttempt {
  const listed = view.state?.public_rooms.find((r) => r.id === room_id);
  return freshAttempt(room_id, listed?.name ?? null, listed?.policy ?? null);
}

function replaceJoin(joins: readonly JoinAttempt[], next: JoinAttempt, isNew: boolean): JoinAttempt[] {
  if (isNew) return [next, ...joins];
  return joins.map((j) => (j.room_id === next.room_id ? next : j));
}

/** Applies `change` to the node's state; before the first state there is nothing to change. */
function withState(view: LobbyView, change: (state: LobbyState) => LobbyState): LobbyView {
  return view.state ? { ...view, state: change(view.state) } : view;
}

function upsertRoom(rooms: readonly HostedRoom[], room: HostedRoom): HostedRoom[] {
  const at = rooms.findIndex((r) => r.id === room.id);
  return at === -1 ? [...rooms, room] : rooms.with(at, room);
}

function upsertRequest(requests: readonly JoinRequest[], request: JoinRequest): JoinRequest[] {
  const key = requestKey(request);
  const at = requests.findIndex((r) => requestKey(r) === key);
  return at === -1 ? [...requests, request] : requests.with(at, request);
}

function withoutRequest(requests: readonly JoinRequest[], room_id: string, node_id: string): JoinRequest[] {
  return requests.filter((r) => r.room_id !== room_id || r.guest.node_id !== node_id);
}
