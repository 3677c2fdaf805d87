import { afterAll, beforeAll } from "bun:test";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { z } from "zod";
import {
  type AuthResultData,
  authResultData,
  type EnvelopeHeader,
  type HelloAckData,
  type HelloData,
  helloAckData,
  type SealedEnvelope,
  type SignedEnvelope,
} from "../../protocol/peer.ts";
import { readBinaryHeader } from "../../protocol/peer-binary.ts";
import type { SealedHeader } from "../../server/fabric/peer-session.ts";
import { loadOrCreateIdentity, type NodeIdentity } from "../../server/identity/identity.ts";
import type { RunningNode } from "../../server/node.ts";
import {
  deriveSessionKeys,
  type Ephemeral,
  newEphemeral,
  newHeader,
  open,
  seal,
  sealSecret,
  signEnvelope,
  signedBytes,
} from "../../server/wire/envelope-crypto.ts";
import { openBinary, sealBinary } from "../../server/wire/sealed-binary.ts";
import { SeenGuard } from "../../server/wire/seen-guard.ts";
import { checkSignedFrame } from "../../server/wire/signed-frame.ts";
import { eventually } from "./peer-nodes.ts";
import { tempDir } from "./temp-dir.ts";

export interface CloseInfo {
  code: number;
  reason: string;
}

/** Ways a test may bend its `hello`: header and body fields, another signer, or edits after signing. */
export interface HelloOptions {
  header?: Partial<EnvelopeHeader>;
  data?: Partial<HelloData>;
  signer?: NodeIdentity;
  afterSigning?: (env: SignedEnvelope) => void;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
const fromB64 = (s: string) => new Uint8Array(Buffer.from(s, "base64"));
const unsigned = (env: SignedEnvelope) => {
  const { sig: _sig, ...rest } = env;
  return signedBytes(rest);
};

/**
 * A scriptable peer on a real WebSocket to a node's `/peer-ws`: honest by default, hostile when a
 * test bends a step. It is built on the fabric's own primitives, so a session it opens is a real one
 * and anything the node refuses is refused for what the test changed, not for a mismatch of code.
 */
export class RawPeer {
  readonly identity: NodeIdentity;
  readonly name: string;
  /** Every frame the node sent, in order, as raw text (a binary one as `<binary N bytes>`). */
  readonly received: string[] = [];
  /** The binary frames the node sent, in order; only a peer whose hello lists `sealed-binary` gets any. */
  readonly receivedBinary: Uint8Array[] = [];
  closeInfo: CloseInfo | undefined;
  /** Known once `hello_ack` has been read. */
  nodeId: string | undefined;
  sendKey: Buffer | undefined;
  recvKey: Buffer | undefined;
  /** The last counter used for a sealed frame. */
  counter = 0;
  #socket: WebSocket | undefined;
  /** What `received` lists, with binary frames as their bytes. */
  #frames: Array<string | Uint8Array> = [];
  #cursor = 0;
  #nonce = randomBytes(32);
  #eph: Ephemeral = newEphemeral();
  #hello: (SignedEnvelope & { data: HelloData }) | undefined;
  #ack: (SignedEnvelope & { data: HelloAckData }) | undefined;
  #sessionStart = 0;

  private constructor(identity: NodeIdentity, name: string) {
    this.identity = identity;
    this.name = name;
  }

  /** A new identity, or `identity` again to come back as the same node. */
  static async create(name = "raw-peer", identity?: NodeIdentity): Promise<RawPeer> {
    return new RawPeer(identity ?? (await loadOrCreateIdentity(join(tempDir(), "identity.key"))), name);
  }

  async connect(port: number): Promise<void> {
    const socket = new WebSocket(`ws://localhost:${port}/peer-ws`);
    socket.binaryType = "arraybuffer";
    this.#socket = socket;
    socket.addEventListener("message", (e) => {
      if (typeof e.data === "string") {
        this.received.push(e.data);
        this.#frames.push(e.data);
      } else {
        const bytes = new Uint8Array(e.data as ArrayBuffer);
        this.receivedBinary.push(bytes);
        this.received.push(`<binary ${bytes.length} bytes>`);
        this.#frames.push(bytes);
      }
    });
    socket.addEventListener("close", (e) => {
      this.closeInfo = { code: e.code, reason: e.reason };
    });
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener("open", () => resolve(), { once: true });
      socket.addEventListener("close", () => reject(new Error("the node refused the socket")), {
        once: true,
      });
    });
  }

  sendText(text: string): void {
    if (!this.#socket) throw new Error("not connected");
    this.#socket.send(text);
  }

  sendBytes(bytes: Uint8Array): void {
    if (!this.#socket) throw new Error("not connected");
    this.#socket.send(bytes as Uint8Array<ArrayBuffer>);
  }

  /** Sends a frame captured earlier, byte for byte. */
  resend(text: string): void {
    this.sendText(text);
  }

  sendHello(opts: HelloOptions = {}): SignedEnvelope {
    const header = { ...newHeader("hello", this.identity.nodeId), ...opts.header };
    const data: HelloData = {
      node_name: this.name,
      public_key: this.identity.publicKeyBase64,
      capabilities: [],
      nonce: b64(this.#nonce),
      eph: b64(this.#eph.publicKey),
      ...opts.data,
    };
    const env = { ...signEnvelope(opts.signer ?? this.identity, header, data), data };
    opts.afterSigning?.(env);
    this.#hello = env;
    this.sendText(JSON.stringify(env));
    return env;
  }

  /** Reads `hello_ack`, checks it as an honest dialer would, and derives the session keys. */
  async readHelloAck(): Promise<SignedEnvelope & { data: HelloAckData }> {
    const hello = this.#hello;
    if (!hello) throw new Error("send hello first");
    const text = await this.next();
    if (text === undefined) throw new Error(`closed before hello_ack: ${JSON.stringify(this.closeInfo)}`);
    const ack = checkSignedFrame(JSON.parse(text), {
      type: "hello_ack",
      data: helloAckData,
      publicKey: (d) => fromB64(d.public_key),
      seen: new SeenGuard(),
    });
    if (ack.data.echo !== hello.data.nonce) throw new Error("hello_ack does not echo our nonce");
    const keys = deriveSessionKeys({
      mine: this.#eph,
      theirs: fromB64(ack.data.eph),
      dialerNonce: this.#nonce,
      acceptorNonce: fromB64(ack.data.nonce),
      dialerId: this.identity.nodeId,
      acceptorId: ack.env.src,
      transcript: Buffer.concat([unsigned(hello), unsigned(ack.env)]),
    });
    this.nodeId = ack.env.src;
    this.sendKey = keys.dialerToAcceptor;
    this.recvKey = keys.acceptorToDialer;
    this.#ack = { ...ack.env, data: ack.data };
    return this.#ack;
  }

  /** Sends `auth`; a token is sealed under the new session key, as a real dialer does. */
  sendAuth(opts: { token?: string } = {}): SignedEnvelope {
    const [hello, ack, nodeId, sendKey] = [this.#hello, this.#ack, this.nodeId, this.sendKey];
    if (!hello || !ack || !nodeId || !sendKey) throw new Error("read hello_ack first");
    const bind = Buffer.from(`${hello.msg_id}|${ack.msg_id}`);
    const env = signEnvelope(this.identity, newHeader("auth", this.identity.nodeId, { dst: nodeId }), {
      echo: ack.data.nonce,
      ...(opts.token !== undefined ? { token: sealSecret(sendKey, opts.token, bind) } : {}),
    });
    this.sendText(JSON.stringify(env));
    return env;
  }

  async readAuthResult(): Promise<AuthResultData> {
    const text = await this.next();
    if (text === undefined) throw new Error(`closed before auth_result: ${JSON.stringify(this.closeInfo)}`);
    const result = checkSignedFrame(JSON.parse(text), {
      type: "auth_result",
      data: authResultData,
      publicKey: () => fromB64(this.#ack?.data.public_key ?? ""),
      seen: new SeenGuard(),
    });
    this.#sessionStart = this.#cursor;
    return result.data;
  }

  /** The whole dialer handshake; throws when the node refuses. */
  async handshake(opts: { token?: string; hello?: HelloOptions } = {}): Promise<void> {
    this.sendHello(opts.hello);
    await this.readHelloAck();
    this.sendAuth(opts);
    const result = await this.readAuthResult();
    if (!result.ok) throw new Error(`refused: ${result.reason}`);
  }

  /** Seals a frame under this peer's send key; the counter advances unless `n` is given. */
  seal(type: string, data: unknown, opts: { n?: number; re?: string } = {}): SealedEnvelope {
    if (!this.sendKey || !this.nodeId) throw new Error("no session yet");
    const n = opts.n ?? ++this.counter;
    return seal(
      this.sendKey,
      newHeader(type, this.identity.nodeId, { dst: this.nodeId, re: opts.re }),
      n,
      data,
    );
  }

  /** Seals a frame in the binary form (protocol/peer-binary.ts); the counter advances unless `n` is given. */
  sealBinary(type: string, data: unknown, opts: { n?: number; re?: string } = {}): Uint8Array {
    if (!this.sendKey || !this.nodeId) throw new Error("no session yet");
    const n = opts.n ?? ++this.counter;
    const header = newHeader(type, this.identity.nodeId, { dst: this.nodeId, re: opts.re });
    return sealBinary(this.sendKey, { ...header, n }, data);
  }

  /** Seals in the binary form and sends; returns the bytes sent. */
  sendSealedBinary(type: string, data: unknown, opts: { n?: number; re?: string } = {}): Uint8Array {
    const bytes = this.sealBinary(type, data, opts);
    this.sendBytes(bytes);
    return bytes;
  }

  /** Seals and sends; returns the exact text sent, for a later `resend`. */
  sendSealed(type: string, data: unknown, opts: { n?: number; re?: string } = {}): string {
    const text = JSON.stringify(this.seal(type, data, opts));
    this.sendText(text);
    return text;
  }

  /** The sealed frames the node sent since the handshake, opened with this peer's receive key. */
  sessionFrames(): Array<{ env: SealedHeader; data: unknown }> {
    const key = this.recvKey;
    if (!key) return [];
    return this.#frames
      .slice(this.#sessionStart)
      .flatMap((frame): Array<{ env: SealedHeader; data: unknown }> => {
        if (typeof frame !== "string") {
          const header = readBinaryHeader(frame);
          const plain = openBinary(key, frame, header);
          return plain === undefined ? [] : [{ env: header, data: JSON.parse(plain) as unknown }];
        }
        const env = JSON.parse(frame) as SealedEnvelope;
        const plain = typeof env.box === "string" ? open(key, env) : undefined;
        return plain === undefined ? [] : [{ env, data: JSON.parse(plain) as unknown }];
      });
  }

  /** The next unread frame, or undefined once the socket has closed and everything was read. */
  async next(ms = 5000): Promise<string | undefined> {
    await eventually(
      () => this.#cursor < this.received.length || this.closeInfo !== undefined,
      "a frame from the node",
      ms,
    );
    return this.#cursor < this.received.length ? this.received[this.#cursor++] : undefined;
  }

  async closed(ms = 5000): Promise<CloseInfo> {
    await eventually(() => this.closeInfo !== undefined, "the node to close the socket", ms);
    return this.closeInfo!;
  }

  close(): void {
    this.#socket?.close();
  }
}

/** Flips one bit of a standard base64 string's decoded bytes; the result is still valid base64. */
export function flipBase64Bit(s: string, bit: number): string {
  const bytes = Buffer.from(s, "base64");
  bytes[bit >> 3]! ^= 1 << (bit & 7);
  return bytes.toString("base64");
}

/** A feature type a test registers on a node, to see which frames reach a feature. */
export const TEST_ECHO = "test_echo";

export function echoProbe(node: RunningNode): { texts: string[] } {
  const probe = { texts: [] as string[] };
  node.fabric.hub.handle(
    TEST_ECHO,
    z.object({ text: z.string(), extra: z.unknown().optional() }),
    (_p, d) => {
      probe.texts.push(d.text);
    },
  );
  return probe;
}

/** The node still answers HTTP and links up an honest peer whose feature message gets through. */
export async function expectStillServing(node: RunningNode, probe: { texts: string[] }): Promise<void> {
  const health = await fetch(`http://localhost:${node.port}/api/health`);
  if (health.status !== 200) throw new Error(`health answered ${health.status}`);
  const honest = await RawPeer.create("honest");
  await honest.connect(node.port);
  await honest.handshake({ token: node.fabric.invites.mint().token });
  const text = `honest-${randomBytes(6).toString("hex")}`;
  honest.sendSealed(TEST_ECHO, { text });
  await eventually(() => probe.texts.includes(text), "the honest peer's message to reach the feature");
  honest.close();
}

/** Collects unhandled rejections and uncaught exceptions for the file; a test checks it stays empty. */
export function processFaults(): unknown[] {
  const faults: unknown[] = [];
  const collect = (err: unknown) => faults.push(err);
  beforeAll(() => {
    process.on("unhandledRejection", collect);
    process.on("uncaughtException", collect);
  });
  afterAll(() => {
    process.off("unhandledRejection", collect);
    process.off("uncaughtException", collect);
  });
  return faults;
}
