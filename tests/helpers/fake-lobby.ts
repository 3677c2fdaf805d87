import { randomBytes } from "node:crypto";
import type { Server, ServerWebSocket } from "bun";
import {
  type JoinParty,
  LOBBY_WS_PATH,
  type LobbyClientMessage,
  type LobbyServerMessage,
  lobbyClientMessage,
  type RoomSummary,
  readRelayBinary,
  rewriteRelayPeer,
} from "../../protocol/lobby.ts";
import type { NodeIdentity } from "../../server/identity/identity.ts";
import { testIdentity } from "./lobby.ts";

/** A node registered with the fake lobby, as it described itself (never checked). */
export interface FakeMember {
  party: JoinParty;
  ws: ServerWebSocket<FakeSocket>;
}

interface FakeSocket {
  nodeId: string | undefined;
}

/** A room the fake lobby made for a host, with the token it handed out. */
export interface FakeRoom {
  summary: RoomSummary;
  token: string | undefined;
}

/**
 * How the fake lobby lies on a `join_room`: which guest key it tells the host and which host key it
 * tells the guest (the real ones unless changed). It never checks a token: every join is admitted.
 */
export interface FakeLobbyLies {
  guestKey?(real: string): string;
  hostKey?(real: string): string;
}

export interface FakeLobby {
  wsUrl: string;
  identity: NodeIdentity;
  members: Map<string, FakeMember>;
  rooms: Map<string, FakeRoom>;
  /** Every `join_room` a node sent, with the token it carried. */
  joins: Array<{ from: string; room_id: string; token: string | undefined }>;
  /** Sends any lobby frame to a registered node, as a lobby that lies may. */
  sendTo(nodeId: string, msg: LobbyServerMessage): void;
  stop(): Promise<void>;
}

/**
 * A tiny lobby that speaks protocol/lobby.ts like the real one — challenge, registration, rooms,
 * the relay — but believes everything and admits every join, so a test can see that what the
 * lobby says never admits anyone on a node's behalf. It accepts any `register` without checking
 * the signature and forwards relayed frames as the real lobby does (the sender's registered id as
 * `from`).
 */
export async function startFakeLobby(lies: FakeLobbyLies = {}): Promise<FakeLobby> {
  const identity = await testIdentity();
  const members = new Map<string, FakeMember>();
  const rooms = new Map<string, FakeRoom>();
  const joins: FakeLobby["joins"] = [];
  const send = (ws: ServerWebSocket<FakeSocket>, msg: LobbyServerMessage) => ws.send(JSON.stringify(msg));
  const to = (nodeId: string) => members.get(nodeId)?.ws;

  const handle = (ws: ServerWebSocket<FakeSocket>, msg: LobbyClientMessage) => {
    const self = ws.data.nodeId;
    if (msg.type === "register") {
      ws.data.nodeId = msg.node_id;
      members.set(msg.node_id, {
        ws,
        party: {
          node_id: msg.node_id,
          node_name: msg.node_name,
          public_key: msg.public_key,
          addresses: msg.addresses,
        },
      });
      return send(ws, {
        type: "registered",
        session: randomBytes(8).toString("hex"),
        directory: [],
        rooms: [],
      });
    }
    const me = self === undefined ? undefined : members.get(self);
    if (!me) return;
    switch (msg.type) {
      case "create_room": {
        const id = msg.restore?.room_id ?? randomBytes(16).toString("hex");
        const summary: RoomSummary = {
          id,
          name: msg.name,
          host: me.party.node_id,
          host_name: me.party.node_name,
          members: 1,
          policy: msg.policy,
          visibility: msg.visibility,
        };
        const token = msg.policy === "token" ? randomBytes(16).toString("base64url") : undefined;
        rooms.set(id, { summary, token });
        return send(ws, { type: "room_created", room: summary, ...(token ? { token } : {}) });
      }
      case "join_room": {
        joins.push({ from: me.party.node_id, room_id: msg.room_id, token: msg.token });
        const room = rooms.get(msg.room_id);
        const host = room && members.get(room.summary.host);
        if (!room || !host)
          return send(ws, { type: "error", code: "no_room", message: "no such room", re: "join_room" });
        const hostParty = {
          ...host.party,
          public_key: lies.hostKey?.(host.party.public_key) ?? host.party.public_key,
        };
        const guestParty = {
          ...me.party,
          public_key: lies.guestKey?.(me.party.public_key) ?? me.party.public_key,
        };
        send(host.ws, { type: "peer_joining", room_id: room.summary.id, guest: guestParty });
        return send(ws, { type: "room_info", room: room.summary, host: hostParty });
      }
      case "relay_open":
      case "relay_end":
      case "relay": {
        const target = to(msg.to);
        if (!target) return send(ws, { type: "undeliverable", to: msg.to, link: msg.link });
        const { to: _to, ...rest } = msg;
        return send(target, { ...rest, from: me.party.node_id } as LobbyServerMessage);
      }
      case "signal": {
        const target = to(msg.to);
        if (!target) return send(ws, { type: "undeliverable", to: msg.to });
        return send(target, { type: "signal", from: me.party.node_id, data: msg.data });
      }
      case "ping":
        return send(ws, { type: "pong" });
      case "list_rooms":
        return send(ws, { type: "rooms", rooms: [...rooms.values()].map((r) => r.summary) });
      case "update":
      case "leave_room":
      case "pong":
        return;
      default: {
        const never: never = msg;
        return never;
      }
    }
  };

  const relayBinary = (ws: ServerWebSocket<FakeSocket>, bytes: Uint8Array) => {
    const from = ws.data.nodeId;
    if (from === undefined) return;
    let read: ReturnType<typeof readRelayBinary>;
    try {
      read = readRelayBinary(bytes);
    } catch {
      return;
    }
    const target = to(read.peer);
    if (!target) return send(ws, { type: "undeliverable", to: read.peer, link: read.link });
    const copy = new Uint8Array(bytes);
    rewriteRelayPeer(copy, from);
    target.send(copy);
  };

  const server: Server<FakeSocket> = Bun.serve<FakeSocket>({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req, srv) {
      if (new URL(req.url).pathname !== LOBBY_WS_PATH) return new Response("not found", { status: 404 });
      return srv.upgrade(req, { data: { nodeId: undefined } })
        ? undefined
        : new Response("upgrade", { status: 426 });
    },
    websocket: {
      open(ws) {
        send(ws, {
          type: "challenge",
          nonce: randomBytes(32).toString("base64"),
          lobby_id: identity.nodeId,
          instance: "fake",
        });
      },
      message(ws, raw) {
        if (typeof raw !== "string") {
          relayBinary(ws, new Uint8Array(raw));
          return;
        }
        const parsed = lobbyClientMessage.safeParse(JSON.parse(raw));
        if (parsed.success) handle(ws, parsed.data);
      },
      close(ws) {
        const id = ws.data.nodeId;
        if (id !== undefined && members.get(id)?.ws === ws) members.delete(id);
      },
    },
  });

  return {
    wsUrl: `ws://127.0.0.1:${server.port}${LOBBY_WS_PATH}`,
    identity,
    members,
    rooms,
    joins,
    sendTo(nodeId, msg) {
      const ws = to(nodeId);
      if (!ws) throw new Error(`${nodeId} is not registered with the fake lobby`);
      send(ws, msg);
    },
    async stop() {
      await server.stop(true);
    },
  };
}
