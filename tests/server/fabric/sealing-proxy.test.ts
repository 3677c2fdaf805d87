import { describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import type { Socket } from "bun";
import { z } from "zod";
import { readBinaryHeader } from "../../../protocol/peer-binary.ts";
import { decodeInvite, encodeInvite } from "../../../server/fabric/invite-codec.ts";
import { eventually, mintInvite, nodePool, pair, peerRow } from "../../helpers/peer-nodes.ts";

const pool = nodePool();

/** Writes to a TCP socket in order, keeping what the socket did not take until it drains. */
function writer(socket: Socket<unknown>) {
  const queue: Buffer[] = [];
  const flush = () => {
    while (queue.length > 0) {
      const head = queue[0]!;
      const n = socket.write(head);
      if (n < head.length) {
        queue[0] = head.subarray(Math.max(n, 0));
        return;
      }
      queue.shift();
    }
  };
  return {
    write(chunk: Buffer) {
      queue.push(chunk);
      flush();
    },
    flush,
  };
}

type Side = { out?: ReturnType<typeof writer>; pending: Buffer[]; peer?: Socket<Side> };

/**
 * A TCP proxy that forwards bytes unchanged both ways and records every one of them: what a relay,
 * a router or anyone else on the path sees of a link.
 */
function startProxy(targetPort: number) {
  const toNode: Buffer[] = [];
  const toDialer: Buffer[] = [];
  let open = 0;
  const listener = Bun.listen<Side>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(client) {
        open++;
        client.data = { pending: [] };
        const clientOut = writer(client as Socket<unknown>);
        void Bun.connect<Side>({
          hostname: "127.0.0.1",
          port: targetPort,
          socket: {
            open(upstream) {
              open++;
              upstream.data = { pending: [], out: clientOut, peer: client };
              const upOut = writer(upstream as Socket<unknown>);
              client.data.out = upOut;
              client.data.peer = upstream;
              for (const chunk of client.data.pending.splice(0)) upOut.write(chunk);
            },
            data(_upstream, chunk) {
              const copy = Buffer.from(chunk);
              toDialer.push(copy);
              clientOut.write(copy);
            },
            drain: () => clientOut.flush(),
            close() {
              open--;
              client.end();
            },
          },
        }).catch(() => client.end());
      },
      data(client, chunk) {
        const copy = Buffer.from(chunk);
        toNode.push(copy);
        if (client.data.out) client.data.out.write(copy);
        else client.data.pending.push(copy);
      },
      drain: (client) => client.data.peer?.data.out?.flush(),
      close(client) {
        open--;
        client.data.peer?.end();
      },
    },
  });
  return {
    url: `ws://127.0.0.1:${listener.port}/peer-ws`,
    toNode,
    toDialer,
    openSockets: () => open,
    stop: () => listener.stop(true),
  };
}

/**
 * Splits one direction of a recorded link into its HTTP upgrade head and WebSocket frames, unmasking
 * what the dialer masked; `rest` is what did not parse as whole frames.
 */
function parseWebSocket(bytes: Buffer) {
  const headEnd = bytes.indexOf("\r\n\r\n");
  const frames: Array<{ opcode: number; rsv: number; payload: Buffer }> = [];
  let i = headEnd + 4;
  while (i + 2 <= bytes.length) {
    const masked = (bytes[i + 1]! & 0x80) !== 0;
    let length = bytes[i + 1]! & 0x7f;
    let p = i + 2;
    if (length === 126) {
      length = bytes.readUInt16BE(p);
      p += 2;
    } else if (length === 127) {
      length = Number(bytes.readBigUInt64BE(p));
      p += 8;
    }
    const mask = masked ? bytes.subarray(p, p + 4) : undefined;
    if (mask) p += 4;
    if (p + length > bytes.length) break;
    const payload = Buffer.from(bytes.subarray(p, p + length));
    if (mask) for (let k = 0; k < payload.length; k++) payload[k]! ^= mask[k % 4]!;
    frames.push({ opcode: bytes[i]! & 0x0f, rsv: bytes[i]! & 0x70, payload });
    i = p + length;
  }
  return { head: bytes.subarray(0, headEnd).toString("latin1"), frames, rest: bytes.length - i };
}

/** A secret as text, hex, and standard and URL-safe base64 at each of the three byte alignments. */
function encodings(secret: Buffer): string[] {
  const out = [secret.toString("hex")];
  for (let skip = 0; skip < 3; skip++) {
    const whole = Math.floor((secret.length - skip) / 3) * 3;
    const aligned = secret.subarray(skip, skip + whole);
    out.push(aligned.toString("base64"), aligned.toString("base64url"));
  }
  return out;
}

describe("a link through a recording proxy", () => {
  test("carries a renamed node's name and a feature message both ways, and the wire never shows them", async () => {
    const tag = () => randomBytes(12).toString("hex");
    const [aName, bName, marker] = [`node-a-${tag()}`, `node-b-${tag()}`, `marker-${tag()}`];
    const a = await pool.start();
    a.settings.update({ "network.nodeName": aName });
    const b = await pool.start({ name: bName });
    const [aId, bId] = [a.identity.nodeId, b.identity.nodeId];
    const text = z.object({ text: z.string() });
    const atB: string[] = [];
    const backAtA: string[] = [];
    b.fabric.hub.handle("test_echo", text, (peer, d) => {
      atB.push(d.text);
      peer.sendRaw("test_echo_back", { text: d.text });
    });
    a.fabric.hub.handle("test_echo_back", text, (_peer, d) => {
      backAtA.push(d.text);
    });

    const proxy = startProxy(a.port);
    const invite = await mintInvite(a);
    const payload = decodeInvite(invite);
    const paired = await pair(
      b,
      encodeInvite({ ...payload, p: [{ transport: "direct", address: proxy.url }] }),
    );
    expect(paired.body).toMatchObject({ ok: true, peer: { node_id: aId, address: proxy.url } });

    a.settings.update({ "network.nodeName": marker });
    await eventually(() => peerRow(b, aId)?.node_name === marker, "B to see A's new name", 10_000);
    expect(a.fabric.hub.sendRaw(bId, "test_echo", { text: marker })).toBe(true);
    await eventually(() => atB.includes(marker), "the marker to reach B's feature", 10_000);
    await eventually(() => backAtA.includes(marker), "B's reply to reach A's feature", 10_000);
    // Everything above travelled over the proxied link, not a second one around it.
    expect(b.fabric.hub.session(aId)?.link.remoteAddress).toBe(proxy.url);

    await pool.stop(b);
    await eventually(() => proxy.openSockets() === 0, "the proxied link to close", 10_000);
    proxy.stop();

    const directions = {
      "dialer to node": parseWebSocket(Buffer.concat(proxy.toNode)),
      "node to dialer": parseWebSocket(Buffer.concat(proxy.toDialer)),
    };
    const secrets = [Buffer.from(marker), Buffer.from(payload.t), Buffer.from(payload.t, "base64url")];
    const forbidden = [marker, payload.t, ...secrets.flatMap(encodings)];
    // Compression would hide plain text from this search: the node must not accept the dialer's offer.
    expect(directions["node to dialer"].head).toStartWith("HTTP/1.1 101");
    expect(directions["node to dialer"].head.toLowerCase()).not.toContain("sec-websocket-extensions");
    for (const [name, dir] of Object.entries(directions)) {
      expect(dir.frames.every((f) => f.rsv === 0)).toBe(true);
      expect(dir.rest).toBe(0);
      const raw = Buffer.concat(name === "dialer to node" ? proxy.toNode : proxy.toDialer).toString("latin1");
      const plain = Buffer.concat(dir.frames.map((f) => f.payload)).toString("latin1");
      for (const secret of forbidden) {
        expect(raw.includes(secret), `${name} raw bytes hold ${secret}`).toBe(false);
        expect(plain.includes(secret), `${name} frames hold ${secret}`).toBe(false);
      }
    }
    // The search can see: each side's clear hello carries its name, and the sealed frames crossed.
    const plainOf = (name: keyof typeof directions) =>
      Buffer.concat(directions[name].frames.map((f) => f.payload)).toString("utf8");
    expect(plainOf("dialer to node")).toContain(bName);
    const bKeyForms = encodings(Buffer.from(b.identity.publicKey));
    expect(bKeyForms.some((form) => plainOf("dialer to node").includes(form))).toBe(true);
    // Sealed frames crossed in the binary form, whose header anyone on the path can read.
    const sealedTypes = (name: keyof typeof directions) =>
      directions[name].frames.filter((f) => f.opcode === 2).map((f) => readBinaryHeader(f.payload).type);
    expect(sealedTypes("dialer to node")).toContain("test_echo_back");
    expect(plainOf("node to dialer")).toContain(aName);
    expect(sealedTypes("node to dialer")).toContain("test_echo");
    expect(sealedTypes("node to dialer").filter((t) => t === "presence").length).toBeGreaterThanOrEqual(2);
  });
});
