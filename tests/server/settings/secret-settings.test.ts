import { afterEach, describe, expect, test } from "bun:test";
import { lobbyUrl } from "../../../server/lobby/lobby-settings.ts";
import {
  iceServersOf,
  stunServer,
  turnCredential,
  turnUrl,
  turnUsername,
  webRtcSettings,
} from "../../../server/lobby/webrtc-settings.ts";
import { SECRET_SHOWN } from "../../../server/settings/registry.ts";
import { startTestLobby } from "../../helpers/lobby.ts";
import { loggedNodes } from "../../helpers/logged-node.ts";
import { eventually } from "../../helpers/peer-nodes.ts";
import { framesShowing, startRecordingProxy } from "../../helpers/recording-proxy.ts";
import { settingsStore } from "../../helpers/settings-store.ts";
import type { TestTab } from "../../helpers/ws-client.ts";

/** Distinctive enough that finding it anywhere in a body, frame or log line means it leaked. */
const SECRET = "hunter2-turn-pass-0xC0FFEE";
const KEY = turnCredential.key;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});
const node = loggedNodes();

function changes(tab: TestTab): Array<Record<string, unknown>> {
  return tab.frames
    .filter((f) => f.event === "settings_changed")
    .map((f) => (f.data as { values: Record<string, unknown> }).values);
}

describe("a secret setting over the API", () => {
  test("a stored TURN credential reads back as (set), never as itself", async () => {
    const { node: n, put, get } = await node();
    expect(JSON.parse(await get())[KEY]).toBe("");
    const saved = await put({ [KEY]: SECRET });
    expect(saved.status).toBe(200);
    expect(saved.text).not.toContain(SECRET);
    expect(JSON.parse(saved.text)[KEY]).toBe(SECRET_SHOWN);
    const shown = await get();
    expect(shown).not.toContain(SECRET);
    expect(JSON.parse(shown)[KEY]).toBe(SECRET_SHOWN);
    // Hidden from view, still the value the node uses.
    expect(n.settings.get(turnCredential)).toBe(SECRET);
  });

  test("the schema marks the credential secret, and no other WebRTC setting", async () => {
    const { put, get } = await node();
    await put({ [KEY]: SECRET });
    const text = await get("/schema");
    expect(text).not.toContain(SECRET);
    const { settings } = JSON.parse(text) as { settings: Array<{ key: string; secret?: boolean }> };
    expect(settings.find((s) => s.key === KEY)).toMatchObject({ secret: true, default: "" });
    for (const def of webRtcSettings.filter((d) => d !== turnCredential)) {
      expect(settings.find((s) => s.key === def.key)?.secret).toBeUndefined();
    }
  });

  test("an open tab hears that the credential changed, as (set), never the value", async () => {
    const { put, tab } = await node();
    const t = await tab();
    await put({ [turnUsername.key]: "alice", [KEY]: SECRET });
    const heard = await t.next((f) => f.event === "settings_changed");
    expect(heard.data).toEqual({ values: { [turnUsername.key]: "alice", [KEY]: SECRET_SHOWN } });
    expect(JSON.stringify(t.frames)).not.toContain(SECRET);
  });

  test("a settings form saved whole, with (set) in it, keeps the stored credential", async () => {
    const { node: n, put, get, tab } = await node();
    await put({
      [turnUrl.key]: "turn:turn.example.org:3478",
      [turnUsername.key]: "alice",
      [KEY]: SECRET,
    });
    const t = await tab();
    const form = JSON.parse(await get()) as Record<string, unknown>;
    expect(form[KEY]).toBe(SECRET_SHOWN);
    const saved = await put({ ...form, [turnUsername.key]: "bob" });
    expect(saved.status).toBe(200);
    expect(n.settings.get(turnCredential)).toBe(SECRET);
    expect(iceServersOf(n.settings)).toEqual([
      {
        hostname: "turn.example.org",
        port: 3478,
        username: "bob",
        password: SECRET,
        relayType: "TurnUdp",
      },
    ]);
    // The tab hears what changed; the credential did not.
    await t.next((f) => f.event === "settings_changed");
    expect(changes(t).some((values) => KEY in values)).toBe(false);
    expect(JSON.parse(await get())[KEY]).toBe(SECRET_SHOWN);
  });

  test("(set) written where no credential is stored leaves it blank rather than storing the placeholder", async () => {
    const { node: n, put, get } = await node();
    expect((await put({ [KEY]: SECRET_SHOWN })).status).toBe(200);
    expect(n.settings.get(turnCredential)).toBe("");
    expect(JSON.parse(await get())[KEY]).toBe("");
  });

  test("an empty credential clears it, and every view shows it blank", async () => {
    const { node: n, put, get, tab } = await node();
    await put({ [turnUrl.key]: "turns:turn.example.org", [KEY]: SECRET });
    const t = await tab();
    const cleared = await put({ [KEY]: "" });
    expect(JSON.parse(cleared.text)[KEY]).toBe("");
    expect(JSON.parse(await get())[KEY]).toBe("");
    expect(n.settings.get(turnCredential)).toBe("");
    expect((iceServersOf(n.settings)[0] as { password?: string }).password).toBe("");
    const heard = await t.next((f) => f.event === "settings_changed");
    expect(heard.data).toEqual({ values: { [KEY]: "" } });
  });

  test("a credential the schema refuses is not echoed in the refusal", async () => {
    const { node: n, put } = await node();
    const tooLong = `${SECRET}${"x".repeat(300)}`;
    const refused = await put({ [KEY]: tooLong });
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.text)).toMatchObject({ field: KEY });
    expect(refused.text).not.toContain(SECRET);
    expect(n.settings.get(turnCredential)).toBe("");
  });

  test("the credential never reaches the node's log or its lobby, from being set to the node stopping", async () => {
    const { node: n, lines, put, get, tab } = await node();
    const lobby = await startTestLobby();
    const proxy = startRecordingProxy(lobby.wsUrl);
    cleanups.push(
      () => lobby.stop(),
      () => proxy.stop(),
    );
    const t = await tab();
    await put({
      [lobbyUrl.key]: proxy.wsUrl,
      [turnUrl.key]: "turn:turn.example.org",
      [turnUsername.key]: "alice",
      [KEY]: SECRET,
    });
    await t.next((f) => f.event === "settings_changed");
    // Registering is logged, so the log is known to be listening while the secret is in use.
    await eventually(() => lines.some((l) => l.includes("registered with the lobby")), "registration");
    await get();
    await get("/schema");
    await put({ [KEY]: `${SECRET}${"x".repeat(300)}` });
    await put(JSON.parse(await get()));
    await put({ [KEY]: "" });
    await n.stop();
    expect(lines.filter((line) => line.includes(SECRET))).toEqual([]);
    expect(proxy.frames.length).toBeGreaterThan(0);
    expect(framesShowing(proxy.frames, SECRET)).toEqual([]);
  });
});

describe("the ICE servers the WebRTC settings name", () => {
  function iceFor(values: Record<string, unknown>) {
    const store = settingsStore();
    store.update(values);
    return iceServersOf(store);
  }
  const login = { [turnUsername.key]: "alice", [KEY]: SECRET };

  test("blank settings name no server, so none is contacted", () => {
    expect(iceFor({})).toEqual([]);
    expect(iceFor({ [stunServer.key]: "", [turnUrl.key]: "", ...login })).toEqual([]);
  });

  test("a STUN server alone is asked as its URL", () => {
    expect(iceFor({ [stunServer.key]: "  stun:stun.example.org:3478 " })).toEqual([
      "stun:stun.example.org:3478",
    ]);
  });

  test("a TURN server over UDP, TCP or TLS is asked with its default port and the login", () => {
    const turn = (url: string) => iceFor({ [turnUrl.key]: url, ...login });
    const server = { hostname: "turn.example.org", username: "alice", password: SECRET };
    expect(turn("turn:turn.example.org")).toEqual([{ ...server, port: 3478, relayType: "TurnUdp" }]);
    expect(turn("turn:turn.example.org?transport=udp")).toEqual([
      { ...server, port: 3478, relayType: "TurnUdp" },
    ]);
    expect(turn("turn:turn.example.org:443?transport=tcp")).toEqual([
      { ...server, port: 443, relayType: "TurnTcp" },
    ]);
    expect(turn("turns:turn.example.org")).toEqual([{ ...server, port: 5349, relayType: "TurnTls" }]);
    expect(turn("turns:turn.example.org:5350")).toEqual([{ ...server, port: 5350, relayType: "TurnTls" }]);
    expect(turn("turn:[2001:db8::1]:3479")).toEqual([
      { ...server, hostname: "2001:db8::1", port: 3479, relayType: "TurnUdp" },
    ]);
  });

  test("STUN and TURN together are both asked, STUN first", () => {
    expect(
      iceFor({ [stunServer.key]: "stun:stun.example.org:3478", [turnUrl.key]: "turn:10.0.0.1:3478" }),
    ).toEqual([
      "stun:stun.example.org:3478",
      { hostname: "10.0.0.1", port: 3478, username: "", password: "", relayType: "TurnUdp" },
    ]);
  });
});
