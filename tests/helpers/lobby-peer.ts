import { join } from "node:path";
import {
  type DirectoryEntry,
  type LobbyServerMessage,
  type LobbyServerOf,
  type LobbyServerType,
  lobbyServerMessage,
  REGISTER_PURPOSE,
  type RegisterProof,
} from "../../protocol/lobby.ts";
import { loadOrCreateIdentity, type NodeIdentity } from "../../server/identity/identity.ts";
import { canonicalBytes } from "../../server/wire/canonical-json.ts";
import { tempDir } from "./temp-dir.ts";

export interface CloseInfo {
  code: number;
  reason: string;
}

/** One directory delta, out of a `presence`, a `gone` or a `directory_changes` batch. */
export type DirectoryChange = { node_id: string; listed: DirectoryEntry | null };

/** A fresh Ed25519 identity in a temp folder. */
export function newIdentity(): Promise<NodeIdentity> {
  return loadOrCreateIdentity(join(tempDir("weft-lobby-id-"), "identity.key"));
}

/** The registration signature: Ed25519 over the canonical bytes of the proof (protocol/lobby.ts). */
export function signRegistration(
  signer: NodeIdentity,
  proof: Omit<RegisterProof, "purpose"> & { purpose?: string },
): string {
  const bytes = canonicalBytes({ purpose: REGISTER_PURPOSE, ...proof });
  return Buffer.from(signer.sign(bytes)).toString("base64");
}

/** Ways a test bends its `register`: fields, another signer, another nonce. */
export interface RegisterOptions {
  name?: string;
  addresses?: string[];
  listed?: boolean;
  capabilities?: string[];
  /** Sign with this key instead of the peer's own (the frame still names the peer's key). */
  signer?: NodeIdentity;
  /** Sign this nonce instead of the challenge's. */
  nonce?: string;
  /** Fields to overwrite after signing. */
  override?: Record<string, unknown>;
}

/**
 * A raw node on a real WebSocket to `/lobby-ws`: it reads the challenge, signs it with its own
 * identity (or bends the registration as a test asks), and keeps every frame the lobby sent,
 * parsed with the lobby's own schema so a frame the lobby should never send fails the test.
 */
export class LobbyPeer {
  readonly identity: NodeIdentity;
  readonly socket: WebSocket;
  /** Every text frame as it arrived. */
  readonly texts: string[] = [];
  readonly binaries: Uint8Array[] = [];
  /** The type of every frame in the order it arrived (`binary` for a binary one). */
  readonly sequence: string[] = [];
  /** Frames the schema refused (a lobby bug when not empty). */
  readonly malformed: string[] = [];
  /** Every directory delta in the order it arrived, batches flattened. */
  readonly changes: DirectoryChange[] = [];
  /** Frames that carried directory deltas (`presence`, `gone`, `directory_changes`). */
  directoryFrames = 0;
  /** The directory as `registered` gave it and the deltas since changed it, this node included if named. */
  readonly directory = new Map<string, DirectoryEntry>();
  challenge!: LobbyServerOf<"challenge">;
  /** Answer the lobby's `ping` with `pong`, as a node does; a test of silence turns it off. */
  answerPings = true;
  closeInfo: CloseInfo | undefined;
  readonly closed: Promise<CloseInfo>;
  #queue: LobbyServerMessage[] = [];
  #waiters: Array<() => void> = [];
  #binaryCursor = 0;

  private constructor(identity: NodeIdentity, socket: WebSocket) {
    this.identity = identity;
    this.socket = socket;
    socket.binaryType = "arraybuffer";
    this.closed = new Promise((resolve) => {
      socket.addEventListener("close", (e) => {
        this.closeInfo = { code: e.code, reason: e.reason };
        resolve(this.closeInfo);
        this.#wake();
      });
    });
    socket.addEventListener("message", (e) => {
      if (typeof e.data === "string") {
        this.texts.push(e.data);
        const parsed = lobbyServerMessage.safeParse(JSON.parse(e.data));
        if (parsed.success) {
          this.#queue.push(parsed.data);
          this.#directory(parsed.data);
        } else this.malformed.push(e.data);
        this.sequence.push(parsed.data?.type ?? "malformed");
        if (parsed.data?.type === "ping" && this.answerPings) this.send({ type: "pong" });
      } else {
        this.binaries.push(new Uint8Array(e.data as ArrayBuffer));
        this.sequence.push("binary");
      }
      this.#wake();
    });
  }

  get id(): string {
    return this.identity.nodeId;
  }

  /** Opens a socket and waits for the lobby's challenge. */
  static async connect(wsUrl: string, identity?: NodeIdentity, ms = 5_000): Promise<LobbyPeer> {
    const socket = new WebSocket(wsUrl);
    const peer = new LobbyPeer(identity ?? (await newIdentity()), socket);
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener("open", () => resolve(), { once: true });
      socket.addEventListener("error", () => reject(new Error(`cannot open ${wsUrl}`)), { once: true });
    });
    peer.challenge = await peer.next("challenge", ms);
    return peer;
  }

  /** Connects and registers honestly; resolves with `registered`. */
  static async registered(wsUrl: string, opts: RegisterOptions = {}, identity?: NodeIdentity) {
    const peer = await LobbyPeer.connect(wsUrl, identity);
    const registered = await peer.register(opts);
    return { peer, registered };
  }

  registerFrame(opts: RegisterOptions = {}): Record<string, unknown> {
    const proof = {
      nonce: opts.nonce ?? this.challenge.nonce,
      lobby_id: this.challenge.lobby_id,
      node_id: this.id,
      public_key: this.identity.publicKeyBase64,
    };
    return {
      type: "register",
      node_id: this.id,
      public_key: this.identity.publicKeyBase64,
      node_name: opts.name ?? `node-${this.id.slice(0, 4)}`,
      capabilities: opts.capabilities ?? ["chat"],
      addresses: opts.addresses ?? [],
      listed: opts.listed ?? true,
      sig: signRegistration(opts.signer ?? this.identity, proof),
      ...opts.override,
    };
  }

  async register(opts: RegisterOptions = {}): Promise<LobbyServerOf<"registered">> {
    this.send(this.registerFrame(opts));
    return this.next("registered");
  }

  send(msg: unknown): void {
    this.socket.send(JSON.stringify(msg));
  }

  sendRaw(data: string | Uint8Array): void {
    this.socket.send(data as string | Uint8Array<ArrayBuffer>);
  }

  /** The first not yet taken frame of `type`, waiting up to `ms` for it. */
  async next<T extends LobbyServerType>(type: T, ms = 3_000): Promise<LobbyServerOf<T>> {
    const deadline = Date.now() + ms;
    for (;;) {
      const at = this.#queue.findIndex((m) => m.type === type);
      if (at >= 0) return this.#queue.splice(at, 1)[0] as LobbyServerOf<T>;
      if (this.closeInfo) {
        throw new Error(`socket closed (${this.closeInfo.code} ${this.closeInfo.reason}) before ${type}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${type} within ${ms} ms; got ${this.texts.slice(-5).join(" | ")}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The next binary frame not yet taken, waiting up to `ms` for it. */
  async nextBinary(ms = 3_000): Promise<Uint8Array> {
    const deadline = Date.now() + ms;
    for (;;) {
      if (this.#binaryCursor < this.binaries.length) return this.binaries[this.#binaryCursor++]!;
      if (this.closeInfo) throw new Error(`socket closed (${this.closeInfo.code}) before a binary frame`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no binary frame within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Whether a frame of `type` arrives (and is taken) within `ms`. */
  async gets(type: LobbyServerType, ms = 300): Promise<boolean> {
    try {
      await this.next(type, ms);
      return true;
    } catch {
      return false;
    }
  }

  /** Waits up to `ms` for `cond`, checked on every frame and close. */
  async until(cond: () => boolean, what: string, ms = 3_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!cond()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${ms} ms; got ${this.texts.slice(-3).join(" | ")}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The deltas received about `nodeId`, in order. */
  changesAbout(nodeId: string): DirectoryChange[] {
    return this.changes.filter((c) => c.node_id === nodeId);
  }

  /** Waits until this node's directory lists `nodeId` (and `match` holds for its entry). */
  async untilListed(
    nodeId: string,
    match: (e: DirectoryEntry) => boolean = () => true,
    ms = 3_000,
  ): Promise<DirectoryEntry> {
    await this.until(
      () => {
        const e = this.directory.get(nodeId);
        return e !== undefined && match(e);
      },
      `directory entry for ${nodeId}`,
      ms,
    );
    return this.directory.get(nodeId)!;
  }

  /** Waits until a delta says `nodeId` left this node's directory. */
  async untilGone(nodeId: string, ms = 3_000): Promise<void> {
    await this.until(() => this.changesAbout(nodeId).at(-1)?.listed === null, `gone of ${nodeId}`, ms);
  }

  /** The other nodes this node's directory lists, sorted. */
  othersListed(): string[] {
    return [...this.directory.keys()].filter((id) => id !== this.id).sort();
  }

  /** Frames of `type` not yet taken. */
  pending<T extends LobbyServerType>(type: T): LobbyServerOf<T>[] {
    return this.#queue.filter((m) => m.type === type) as LobbyServerOf<T>[];
  }

  /** Takes every frame not yet taken. */
  drain(): LobbyServerMessage[] {
    return this.#queue.splice(0);
  }

  /** Waits for the close (the lobby's or ours) for up to `ms`. */
  async waitClose(ms = 3_000): Promise<CloseInfo> {
    const info = await Promise.race([this.closed, Bun.sleep(ms).then(() => undefined)]);
    if (!info) throw new Error(`socket still open after ${ms} ms`);
    return info;
  }

  close(): void {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) {
      this.socket.close(1000, "done");
    }
  }

  #directory(msg: LobbyServerMessage): void {
    const apply = (c: DirectoryChange) => {
      this.changes.push(c);
      if (c.listed) this.directory.set(c.node_id, c.listed);
      else this.directory.delete(c.node_id);
    };
    switch (msg.type) {
      case "registered":
        for (const e of msg.directory) this.directory.set(e.node_id, e);
        return;
      case "presence":
        this.directoryFrames += 1;
        apply({ node_id: msg.node.node_id, listed: msg.node });
        return;
      case "gone":
        this.directoryFrames += 1;
        apply({ node_id: msg.node_id, listed: null });
        return;
      case "directory_changes":
        this.directoryFrames += 1;
        for (const node_id of msg.gone) apply({ node_id, listed: null });
        for (const e of msg.presence) apply({ node_id: e.node_id, listed: e });
        return;
      default:
        return;
    }
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }
}
