import { type JoinParty, type LobbyServerOf, nodeSignal } from "../../protocol/lobby.ts";
import type { JoinRequest, JoinStep } from "../../protocol/lobby-channel.ts";
import type { PeerPath } from "../../protocol/peer.ts";
import { DIRECT } from "../../protocol/peer.ts";
import type { DialerClaim } from "../fabric/handshake.ts";
import { DialError } from "../fabric/links/link.ts";
import { RELAY, relayAddress } from "../fabric/links/relay-transport.ts";
import { WEBRTC, webrtcAddress } from "../fabric/links/webrtc-link.ts";
import { allowedBy } from "../fabric/peer-dialing.ts";
import type { PeerHub } from "../fabric/peer-hub.ts";
import type { AdmissionSource } from "../fabric/trust.ts";
import type { Logger } from "../log.ts";
import type { HostedRooms } from "./hosted-rooms.ts";
import type { LobbyClient } from "./lobby-client.ts";

/** How long a join's other end is expected: the host's person may take a while to accept. */
const EXPECT_MS = 10 * 60_000;
/** Join requests and expected parties kept at most, so a lying lobby cannot grow memory. */
const MAX_PENDING = 256;

/** What the joins tell the tabs (the lobby feature turns these into `lobby` channel events). */
export interface JoinEvents {
  progress(roomId: string, step: JoinStep, extra?: { transport?: string; error?: string }): void;
  joined(roomId: string, peer: { node_id: string; node_name: string; transport: string }): void;
  requestsChanged(added?: JoinRequest): void;
}

interface Expected {
  roomId: string;
  party: JoinParty;
  until: number;
}

export interface RoomJoinDeps {
  lobby: LobbyClient;
  hub: PeerHub;
  rooms: HostedRooms;
  /** `network.trustMode`: in `directory`, open-room guests are admitted without asking. */
  trustMode(): string;
  log: Logger;
  events: JoinEvents;
}

const keyOf = (roomId: string, nodeId: string) => `${roomId}:${nodeId}`;

/**
 * Both ends of a room join (docs/architecture.md, "What a room admits"). The guest asks the lobby,
 * gets the host's key and addresses, and — for a token room — dials the host with the token sealed
 * in `auth`, which the host checks against its own copy. In an open room the host's person accepts
 * (or the trust mode `directory` does), and the host dials the guest, which admits the host it
 * asked to join. Either way the key pinned is the one the lobby named for that join, and the
 * lobby's word alone admits nobody.
 */
export class RoomJoins implements AdmissionSource {
  readonly #d: RoomJoinDeps;
  /** Guest side: hosts of open rooms this node asked to join, expected to dial in. */
  readonly #hosts = new Map<string, Expected>();
  /** Host side: guests the lobby reported joining, by room and node. */
  readonly #guests = new Map<string, Expected>();
  /** Host side: open-room guests waiting for the person's Accept or Decline. */
  readonly #requests = new Map<string, JoinRequest>();
  /** Guest side: joins asked for and not yet answered by the lobby, with their token. */
  readonly #asked = new Map<string, string | undefined>();

  /** Host side: token-room guests admitted by `decide`, told as joined once their link is up. */
  readonly #admitted = new Map<string, Expected>();

  constructor(deps: RoomJoinDeps) {
    this.#d = deps;
  }

  requests(): JoinRequest[] {
    return [...this.#requests.values()];
  }

  /** Guest: asks the lobby to join `roomId`. */
  join(roomId: string, token: string | undefined): boolean {
    if (!this.#d.lobby.send({ type: "join_room", room_id: roomId, ...(token ? { token } : {}) }))
      return false;
    this.#asked.set(roomId, token);
    this.#d.events.progress(roomId, "joining");
    return true;
  }

  /** The lobby refused a join (`no_room`, `denied`): every join still waiting for it failed. */
  joinRefused(message: string): void {
    for (const roomId of this.#asked.keys()) this.#d.events.progress(roomId, "failed", { error: message });
    this.#asked.clear();
  }

  /** Guest: the lobby named the host. A token room is dialed now; an open room waits for the host. */
  async roomInfo(msg: LobbyServerOf<"room_info">): Promise<void> {
    const roomId = msg.room.id;
    // Only the answer to a join this node asked for: an unasked one would have this node expect,
    // and admit, whichever host the lobby chose to name.
    if (!this.#asked.has(roomId)) return;
    const token = this.#asked.get(roomId);
    this.#asked.delete(roomId);
    this.#d.events.progress(roomId, "room_info");
    const host = msg.host;
    const connected = this.#d.hub.session(host.node_id);
    if (connected) {
      this.#d.events.progress(roomId, "connected", { transport: connected.link.transport });
      return this.#d.events.joined(roomId, { ...peerOf(host), transport: connected.link.transport });
    }
    if (msg.room.policy === "open") {
      remember(this.#hosts, host.node_id, { roomId, party: host, until: Date.now() + EXPECT_MS });
      return this.#d.events.progress(roomId, "waiting_for_host");
    }
    await this.#dial(roomId, host, token);
  }

  /** Host: the lobby reports a guest joining one of this node's rooms. */
  peerJoining(msg: LobbyServerOf<"peer_joining">): void {
    const room = this.#d.rooms.get(msg.room_id);
    if (!room) return;
    const expected = { roomId: room.roomId, party: msg.guest, until: Date.now() + EXPECT_MS };
    remember(this.#guests, keyOf(room.roomId, msg.guest.node_id), expected);
    if (room.policy === "token") return; // the guest dials with the token; `decide` checks it
    if (this.#d.hub.session(msg.guest.node_id)) return; // already linked: nothing to ask
    if (this.#d.trustMode() === "directory") {
      void this.accept(room.roomId, msg.guest.node_id);
      return;
    }
    const request: JoinRequest = {
      room_id: room.roomId,
      room_name: room.name,
      guest: msg.guest,
      ts: Date.now(),
    };
    remember(this.#requests, keyOf(room.roomId, msg.guest.node_id), request);
    this.#d.events.requestsChanged(request);
  }

  /** Host: the person accepted (or the trust mode did): dial the guest, pinned to its key. */
  async accept(roomId: string, nodeId: string): Promise<string | undefined> {
    const key = keyOf(roomId, nodeId);
    const guest = this.#guests.get(key);
    if (!guest || guest.until < Date.now()) return "no such join request (it may have expired)";
    this.#requests.delete(key);
    this.#d.events.requestsChanged();
    this.#d.lobby.send({ type: "signal", to: nodeId, data: { kind: "join_accepted", room_id: roomId } });
    try {
      const row = await this.#d.hub.dial(this.#pathsOf(guest.party), {
        expectKey: Buffer.from(guest.party.public_key, "base64"),
        expectId: nodeId,
        via: "room",
      });
      this.#d.events.joined(roomId, { ...peerOf(guest.party), transport: row.transport ?? "relay" });
      return undefined;
    } catch (err) {
      const why = (err as Error).message;
      this.#d.log.info("could not reach an accepted guest", { node: nodeId, error: why });
      return `could not reach ${guest.party.node_name || nodeId}: ${why}`;
    } finally {
      this.#guests.delete(key);
    }
  }

  /** Host: the person declined; the guest hears it through the lobby. */
  decline(roomId: string, nodeId: string): boolean {
    const key = keyOf(roomId, nodeId);
    if (!this.#requests.delete(key)) return false;
    this.#guests.delete(key);
    this.#d.events.requestsChanged();
    this.#d.lobby.send({
      type: "signal",
      to: nodeId,
      data: { kind: "join_declined", room_id: roomId, reason: "the host declined" },
    });
    return true;
  }

  /** A node-to-node signal through the lobby; anything but a known, expected kind is dropped. */
  signal(from: string, data: unknown): void {
    const parsed = nodeSignal.safeParse(data);
    if (!parsed.success) return;
    const s = parsed.data;
    const host = this.#hosts.get(from);
    if (!host || host.roomId !== s.room_id) return;
    switch (s.kind) {
      case "join_accepted":
        // The host dials this node now (direct or relayed, its choice): still waiting, for the link.
        break;
      case "join_declined":
        this.#hosts.delete(from);
        this.#d.events.progress(s.room_id, "failed", { error: s.reason });
        break;
      default: {
        const never: never = s;
        throw new Error(`unhandled signal ${String(never)}`);
      }
    }
  }

  /** A peer linked up: a join this node was waiting on (either end) is done. */
  peerOnline(nodeId: string): void {
    const session = this.#d.hub.session(nodeId);
    const guest = this.#admitted.get(nodeId);
    if (guest && session) {
      this.#admitted.delete(nodeId);
      this.#d.events.joined(guest.roomId, { ...peerOf(guest.party), transport: session.link.transport });
    }
    const host = this.#hosts.get(nodeId);
    if (!host || !session) return;
    this.#hosts.delete(nodeId);
    this.#d.events.progress(host.roomId, "connected", { transport: session.link.transport });
    this.#d.events.joined(host.roomId, { ...peerOf(host.party), transport: session.link.transport });
  }

  /** The guest left the room before the person answered: its request goes. */
  peerLeft(roomId: string, nodeId: string): void {
    const key = keyOf(roomId, nodeId);
    this.#guests.delete(key);
    if (this.#requests.delete(key)) this.#d.events.requestsChanged();
  }

  /** A hosted room closed: its waiting requests go with it. */
  roomClosed(roomId: string): void {
    let changed = false;
    for (const [key, r] of this.#requests) if (r.room_id === roomId) changed = this.#requests.delete(key);
    for (const [key, g] of this.#guests) if (g.roomId === roomId) this.#guests.delete(key);
    if (changed) this.#d.events.requestsChanged();
  }

  /**
   * Trust's question (server/fabric/trust.ts): a host this node asked to join dials in with the
   * key the lobby named → admit; a guest presents a token → admit only when it is one of this
   * node's token rooms, checked here, and the lobby reported that guest with that key joining it.
   */
  decide(claim: DialerClaim): { admit: "room" | "directory" } | { refuse: string } | undefined {
    const key = Buffer.from(claim.publicKey).toString("base64");
    const host = this.#hosts.get(claim.peerId);
    if (host && host.until > Date.now() && host.party.public_key === key) {
      return { admit: this.#d.trustMode() === "directory" ? "directory" : "room" };
    }
    if (claim.token === undefined) return undefined;
    const room = this.#d.rooms.roomOfToken(claim.token);
    if (!room) return undefined; // not a room token: perhaps an invite's
    const guest = this.#guests.get(keyOf(room.roomId, claim.peerId));
    if (!guest || guest.until < Date.now() || guest.party.public_key !== key) {
      return { refuse: "room token presented without joining the room through the lobby" };
    }
    this.#guests.delete(keyOf(room.roomId, claim.peerId));
    remember(this.#admitted, claim.peerId, guest);
    return { admit: "room" };
  }

  /** Guest: dials the host of a token room, direct first and the relay after 3 s. */
  async #dial(roomId: string, host: JoinParty, token: string | undefined): Promise<void> {
    try {
      const row = await this.#d.hub.dial(this.#pathsOf(host), {
        expectKey: Buffer.from(host.public_key, "base64"),
        expectId: host.node_id,
        token,
        via: "room",
        onStage: (stage, address) => {
          if (stage === "dialing") this.#d.events.progress(roomId, stepOf(address));
        },
      });
      const transport = row.transport ?? "direct";
      this.#d.events.progress(roomId, "connected", { transport });
      this.#d.events.joined(roomId, { ...peerOf(host), transport });
    } catch (err) {
      const policy = this.#d.hub.row(host.node_id)?.path_policy ?? "any";
      const why = (err as Error).message;
      // A person who limited the paths to this peer is reminded that they did.
      const error =
        policy === "any"
          ? why
          : `${why} (your path policy for ${host.node_name || host.node_id} is ${policy})`;
      this.#d.events.progress(roomId, "failed", { error });
    }
  }

  /**
   * A join party's direct addresses, then WebRTC and the relay (which the dialer starts after 3 s), as the
   * path policy a person set for that peer allows: a peer set to never relay is not relayed to
   * because it was met again in a room. Throws `DialError` saying so when nothing is left.
   */
  #pathsOf(party: JoinParty): PeerPath[] {
    const direct = party.addresses
      .filter((a) => /^wss?:\/\//.test(a))
      .map((address) => ({ transport: DIRECT, address }));
    // Then through the lobby: WebRTC, peer to peer once negotiated, before the relay.
    const all = [
      ...direct,
      { transport: WEBRTC, address: webrtcAddress(party.node_id) },
      { transport: RELAY, address: relayAddress(party.node_id) },
    ];
    const policy = this.#d.hub.row(party.node_id)?.path_policy ?? "any";
    const allowed = all.filter((p) => allowedBy(policy, p.transport));
    if (allowed.length === 0) {
      throw new DialError(
        "disabled",
        `your path policy for ${party.node_name || party.node_id} is ${policy}, and it gave no direct address`,
      );
    }
    return allowed;
  }
}

/** The join step a dial of `address` is, as the guest's pane shows it. */
function stepOf(address: string): JoinStep {
  if (address.startsWith("relay:")) return "relay";
  if (address.startsWith("webrtc:")) return "webrtc";
  return "dialing_direct";
}

function peerOf(p: JoinParty): { node_id: string; node_name: string } {
  return { node_id: p.node_id, node_name: p.node_name };
}

/** Adds to a bounded map, dropping the oldest entry past the cap. */
function remember<T>(map: Map<string, T>, key: string, value: T): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_PENDING) map.delete(map.keys().next().value as string);
}
