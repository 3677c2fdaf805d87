import {
  type JoinRequest,
  type LobbyClientEvent,
  lobbyClientEvent,
  lobbyServerEvent,
} from "../../protocol/lobby-channel.ts";
import { type ChannelFrame, type PaneHost, useHost } from "../sdk/index.ts";
import {
  initialLobbyView,
  type LobbyAction,
  type LobbyView,
  type RoomPolicy,
  reduceLobby,
  waitingRequests,
} from "./lobby-model.ts";
import { type LobbyNews, lobbyNews } from "./lobby-news.ts";
import { lobbyManifest } from "./manifest.ts";

type ClientEvent = LobbyClientEvent["event"];
type ClientData<E extends ClientEvent> = Extract<LobbyClientEvent, { event: E }>["data"];

/** What a join needs besides the room id: its token, and what a listing said about the room. */
export interface JoinOptions {
  token?: string | undefined;
  room_name?: string | null;
  policy?: RoomPolicy | null;
}

/**
 * The node's lobby as this tab sees it, for the whole tab: the Lobby pane draws `view`, and the
 * number of guests waiting is the pane's badge. Every event goes through `reduceLobby`; what is
 * worth telling the person goes to `onNews` listeners (the open pane shows them as toasts).
 * Frames sent while the socket was down are lost, so it asks for `state` again on every reconnect.
 */
export class LobbyStore {
  view = $state.raw<LobbyView>(initialLobbyView());
  readonly #host: PaneHost;
  readonly #listeners = new Set<(news: LobbyNews) => void>();

  constructor(host: PaneHost) {
    this.#host = host;
    host.setBadge(lobbyManifest.id, 0);
    host.subscribe("lobby", (frame) => this.#onFrame(frame));
    host.onReconnect(() => this.refresh());
    // The first connect is no reconnect: ask once the node has said hello, until it answered.
    host.subscribe("system", (frame) => {
      if (frame.event === "welcome" && this.view.state === null) this.refresh();
    });
    this.refresh();
  }

  /** Listens for news; returns the unsubscribe. */
  onNews(listener: (news: LobbyNews) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Asks the node for its whole lobby state. */
  refresh(): boolean {
    return this.#send("state", {});
  }

  connect(url: string): boolean {
    return this.#send("connect", { url }, "connect");
  }

  disconnect(): boolean {
    return this.#send("disconnect", {});
  }

  listRooms(): boolean {
    return this.#send("list_rooms", {});
  }

  createRoom(name: string, visibility: "public" | "unlisted", policy: RoomPolicy): boolean {
    return this.#send("create_room", { name, visibility, policy }, "create");
  }

  /** Starts following a join, then asks for it; a token is kept for Retry. */
  join(room_id: string, options: JoinOptions = {}): boolean {
    const data = options.token ? { room_id, token: options.token } : { room_id };
    if (!this.#send("join_room", data)) return false;
    this.#apply({ event: "join_started", data: { room_id, ...options } });
    return true;
  }

  /** Sends the same join again, with the token it was first sent with. */
  retry(room_id: string): boolean {
    const known = this.view.joins.find((j) => j.room_id === room_id);
    if (!known) return false;
    return this.join(room_id, { token: known.token, room_name: known.room_name, policy: known.policy });
  }

  /** Stops showing a finished join. */
  dismissJoin(room_id: string): void {
    this.#apply({ event: "join_dismissed", data: { room_id } });
  }

  /** Closes a room this node hosts; the node's next `state` no longer lists it. */
  leave(room_id: string): boolean {
    return this.#send("leave_room", { room_id }) && this.refresh();
  }

  accept(request: JoinRequest): boolean {
    return this.#settle("accept", request);
  }

  decline(request: JoinRequest): boolean {
    return this.#settle("decline", request);
  }

  #settle(event: "accept" | "decline", request: JoinRequest): boolean {
    const data = { room_id: request.room_id, node_id: request.guest.node_id };
    if (!this.#send(event, data)) return false;
    // Answered: another tab's Accept is told by the node's next state, this tab's at once.
    this.#apply({ event: "request_settled", data });
    return true;
  }

  /**
   * Sends one client event, checked against the channel's schema first so nothing the node
   * would refuse leaves the tab. False, with a toast, when it could not go.
   */
  #send<E extends ClientEvent>(event: E, data: ClientData<E>, awaiting?: "connect" | "create"): boolean {
    const checked = lobbyClientEvent.safeParse({ event, data });
    if (!checked.success) {
      this.#host.notify(`Not sent: ${checked.error.issues[0]?.message ?? "invalid request"}`, "error");
      return false;
    }
    if (!this.#host.send("lobby", event, checked.data.data)) {
      // `state` is asked again on reconnect; anything else the person has to do again.
      if (event !== "state") {
        this.#host.notify("This tab has lost its node; try again once it reconnects.", "error");
      }
      return false;
    }
    if (awaiting) this.#apply({ event: "sent", data: { what: awaiting } });
    return true;
  }

  #onFrame(frame: ChannelFrame): void {
    const parsed = lobbyServerEvent.safeParse(frame);
    if (!parsed.success) return;
    const news = lobbyNews(this.view, parsed.data);
    this.#apply(parsed.data);
    if (news) for (const listener of this.#listeners) listener(news);
  }

  #apply(action: LobbyAction): void {
    const before = waitingRequests(this.view);
    this.view = reduceLobby(this.view, action);
    const after = waitingRequests(this.view);
    if (after !== before) this.#host.setBadge(lobbyManifest.id, after);
  }
}

let shared: LobbyStore | undefined;

/**
 * The tab's one `LobbyStore`, kept for the life of the tab. The pane's `start` makes it at boot,
 * so the badge counts while no Lobby tab is open; a caller before that makes it itself.
 */
export function sharedLobby(host: PaneHost = useHost()): LobbyStore {
  shared ??= new LobbyStore(host);
  return shared;
}
