import type { DirectoryEntry, LobbyServerMessage, RoomSummary } from "../../protocol/lobby.ts";
import { type LobbyClientEvent, type LobbyState, lobbyClientEvent } from "../../protocol/lobby-channel.ts";
import { browserChannel, defineFeature } from "../features/feature.ts";
import { enableDirect, trustMode } from "../settings/network-settings.ts";
import { type BrowserSocket, channelSender } from "../ws/browser-hub.ts";
import { HostedRooms, tokenHash } from "./hosted-rooms.ts";
import { LobbyUrlError, parseLobbyUrls } from "./lobby-client.ts";
import { lobbyListed, lobbySettings, lobbyUrl } from "./lobby-settings.ts";
import { RoomJoins } from "./room-joins.ts";
import { webRtcSettings } from "./webrtc-settings.ts";

/**
 * The node's side of the lobby (docs/architecture.md, "The lobby"): the `lobby` channel the Lobby
 * pane drives, the rooms this node hosts (restored each time it registers), the directory, and
 * room joins at both ends. The socket itself is the lobby client, made with the fabric (it
 * carries the relay too); this feature connects it to `network.lobbyUrl`.
 */
const DIRECTORY_PUSH_MS = 250;

export const lobbyFeature = defineFeature({
  name: "lobby",
  settings: [...lobbySettings, ...webRtcSettings],
  create(ctx) {
    const { lobby, settings, fabric, log } = ctx;
    const { send, broadcast } = channelSender(ctx.browsers, "lobby");
    const rooms = new HostedRooms(ctx.db);
    const directory = new Map<string, DirectoryEntry>();
    let publicRooms: RoomSummary[] = [];
    /** Room sizes as the lobby last told them, for the hosted rooms' member counts. */
    const known = new Map<string, RoomSummary>();

    // A busy lobby tells many comings and goings: tabs get the directory at most every 250 ms.
    let directoryTimer: ReturnType<typeof setTimeout> | undefined;
    const directoryChanged = () => {
      directoryTimer ??= setTimeout(() => {
        directoryTimer = undefined;
        broadcast("directory", { directory: state().directory });
      }, DIRECTORY_PUSH_MS);
    };

    /** The lobby counts members; the host hears of each join and leave, so it keeps its own count. */
    const countMember = (roomId: string, by: number) => {
      const room = known.get(roomId);
      if (!room) return;
      known.set(roomId, { ...room, members: Math.max(1, room.members + by) });
      broadcast("state", state());
    };

    const joins = new RoomJoins({
      lobby,
      hub: fabric.hub,
      rooms,
      trustMode: () => settings.get(trustMode),
      log,
      events: {
        progress: (room_id, step, extra) => broadcast("join_progress", { room_id, step, ...extra }),
        joined: (room_id, peer) => broadcast("joined", { room_id, ...peer }),
        requestsChanged: (added) => {
          if (added) broadcast("join_request", added);
          else broadcast("state", state());
        },
      },
    });

    const hosted = () =>
      rooms.list().map((r) => {
        const summary = known.get(r.roomId);
        return {
          id: r.roomId,
          name: r.name,
          host: ctx.identity.nodeId,
          host_name: ctx.nodeName(),
          members: summary?.members ?? 1,
          policy: r.policy,
          visibility: r.visibility,
          ...(r.token ? { token: r.token } : {}),
        };
      });
    const state = (): LobbyState => {
      const c = lobby.state;
      return {
        status: c.status,
        url: c.url || settings.get(lobbyUrl),
        addresses: c.urls.length > 0 ? [...c.urls] : normaliseOrEmpty(settings.get(lobbyUrl)),
        lobby_id: c.lobbyId,
        error: c.error,
        retry_at: c.retryAt,
        rooms: hosted(),
        public_rooms: publicRooms,
        directory: [...directory.values()].filter((d) => d.node_id !== ctx.identity.nodeId),
        requests: joins.requests(),
        self: { node_id: ctx.identity.nodeId, node_name: ctx.nodeName(), listed: settings.get(lobbyListed) },
      };
    };

    const onMessage = (msg: LobbyServerMessage) => {
      switch (msg.type) {
        case "presence":
          directory.set(msg.node.node_id, msg.node);
          return directoryChanged();
        case "gone":
          directory.delete(msg.node_id);
          return directoryChanged();
        case "directory_changes":
          // Each id once, in its latest state; this node's own listing may be among them.
          for (const id of msg.gone) directory.delete(id);
          for (const node of msg.presence) {
            if (node.node_id !== ctx.identity.nodeId) directory.set(node.node_id, node);
          }
          return directoryChanged();
        case "rooms":
          publicRooms = msg.rooms;
          return broadcast("rooms", { rooms: publicRooms });
        case "room_created": {
          known.set(msg.room.id, msg.room);
          const saved = rooms.save({
            roomId: msg.room.id,
            name: msg.room.name,
            visibility: msg.room.visibility,
            policy: msg.room.policy,
            token: msg.token,
          });
          const room = hosted().find((r) => r.id === saved.roomId);
          if (room) broadcast("room_created", { room });
          return broadcast("state", state());
        }
        case "room_info":
          return void joins.roomInfo(msg);
        case "peer_joining":
          countMember(msg.room_id, +1);
          return joins.peerJoining(msg);
        case "peer_left":
          countMember(msg.room_id, -1);
          return joins.peerLeft(msg.room_id, msg.node_id);
        case "room_closed":
          joins.roomClosed(msg.room_id);
          known.delete(msg.room_id);
          return broadcast("state", state());
        case "signal":
          return joins.signal(msg.from, msg.data);
        case "error":
          if (msg.re === "join_room") joins.joinRefused(msg.message);
          return broadcast("error", { message: `lobby: ${msg.message}` });
        case "registered":
        case "challenge":
        case "relay_open":
        case "relay":
        case "relay_end":
        case "undeliverable":
        case "goodbye":
        case "ping":
        case "pong":
          return; // the client and the relay transport handle these
        default: {
          const never: never = msg;
          return never;
        }
      }
    };

    const connectTo = (raw: string): string | undefined => {
      try {
        lobby.connect(raw);
        return undefined;
      } catch (err) {
        return err instanceof LobbyUrlError ? err.message : (err as Error).message;
      }
    };

    const handle = (socket: BrowserSocket, msg: LobbyClientEvent) => {
      const offline = () => send(socket, "error", { message: "not connected to a lobby" });
      switch (msg.event) {
        case "state":
          return send(socket, "state", state());
        case "connect": {
          const url = msg.data.url ?? settings.get(lobbyUrl);
          if (!url) return send(socket, "error", { message: "no lobby URL: enter one to connect" });
          const problem = connectTo(url);
          if (problem) return send(socket, "error", { message: problem });
          // Saved so the node reconnects by itself after a restart; the change listener sees the same URL.
          if (msg.data.url) settings.update({ [lobbyUrl.key]: msg.data.url });
          return broadcast("state", state());
        }
        case "disconnect":
          settings.update({ [lobbyUrl.key]: "" });
          lobby.disconnect();
          return broadcast("state", state());
        case "list_rooms":
          if (!lobby.send({ type: "list_rooms" })) return offline();
          return;
        case "create_room":
          if (!lobby.send({ type: "create_room", ...msg.data })) return offline();
          return;
        case "join_room":
          if (!joins.join(msg.data.room_id, msg.data.token)) return offline();
          return;
        case "leave_room":
          if (!lobby.send({ type: "leave_room", room_id: msg.data.room_id })) return offline();
          if (rooms.remove(msg.data.room_id)) joins.roomClosed(msg.data.room_id);
          return broadcast("state", state());
        case "accept":
          return void joins.accept(msg.data.room_id, msg.data.node_id).then((problem) => {
            if (problem) send(socket, "error", { message: problem });
          });
        case "decline":
          if (!joins.decline(msg.data.room_id, msg.data.node_id))
            send(socket, "error", { message: "no such join request" });
          return;
        default: {
          const never: never = msg;
          return never;
        }
      }
    };

    /**
     * Known peers that are offline and may be reached through the lobby are dialed as soon as it
     * registers this node: after an outage, the redialer's backoff had grown to many seconds, and
     * the pair stayed apart that long with both ends back on the lobby. A peer this node cannot
     * relay to yet (not registered again) is the redialer's again.
     */
    const relinkRelayed = () => {
      const hub = fabric.hub;
      for (const row of hub.rows()) {
        const id = row.node_id;
        if (row.status !== "offline" || !row.trusted || row.blocked || hub.isHeld(id) || hub.isDialing(id))
          continue;
        if (!hub.pathsOf(id).some((p) => p.transport === "relay")) continue;
        hub
          .reconnect(id)
          .catch((err: Error) =>
            log.debug("relink through the lobby failed", { node: id, error: err.message }),
          );
      }
    };

    const offs: Array<() => void> = [];
    return {
      api: { client: lobby, rooms, joins, state },
      channel: browserChannel({ name: "lobby", schema: lobbyClientEvent, handle }),
      start() {
        offs.push(fabric.trust.admitFrom(joins));
        offs.push(
          lobby.on({
            state: () => broadcast("state", state()),
            registered: (msg) => {
              directory.clear();
              for (const d of msg.directory) directory.set(d.node_id, d);
              publicRooms = msg.rooms;
              // Rooms this node hosted come back with their id and token.
              for (const r of rooms.list()) {
                lobby.send({
                  type: "create_room",
                  name: r.name,
                  visibility: r.visibility,
                  policy: r.policy,
                  restore: { room_id: r.roomId, ...(r.token ? { token_hash: tokenHash(r.token) } : {}) },
                });
              }
              broadcast("state", state());
              relinkRelayed();
            },
            message: onMessage,
            down: () => directory.clear(),
          }),
        );
        offs.push(fabric.hub.on({ peerOnline: (id) => joins.peerOnline(id) }));
        offs.push(
          settings.onChange((changed) => {
            if (lobbyUrl.key in changed) {
              const url = settings.get(lobbyUrl);
              if (url === "") lobby.disconnect();
              else if (normaliseOrEmpty(url).join(" ") !== lobby.state.urls.join(" ")) connectTo(url);
            }
            // The lobby gives a node's addresses to the other end of a join, and has none while
            // direct links are off: turning them on (or off) must reach it before the next join.
            if (lobbyListed.key in changed || enableDirect.key in changed) lobby.announce();
          }),
        );
        const url = settings.get(lobbyUrl);
        if (url) {
          const problem = connectTo(url);
          if (problem) log.warn("network.lobbyUrl is not usable", { error: problem });
        }
      },
      stop() {
        clearTimeout(directoryTimer);
        for (const off of offs.splice(0)) off();
        lobby.stop();
      },
    };
  },
});

function normaliseOrEmpty(url: string): string[] {
  try {
    return url === "" ? [] : parseLobbyUrls(url);
  } catch {
    return [];
  }
}
