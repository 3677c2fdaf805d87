import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { PluginRow } from "../../../protocol/plugin.ts";
import { callNode as call, type RunningBinary } from "../../helpers/binary.ts";
import { ARTIFACTS, waitFor } from "../../helpers/browser.ts";
import {
  HOSTILE_DIR,
  nodeFolder,
  openCounter,
  openFromPalette,
  openPage,
  pluginFrame,
  pluginSuite,
  textBecomes,
} from "../../helpers/plugin-nodes.ts";

/**
 * The sandbox of third-party panes, in Chromium against compiled nodes: a hostile plugin tries,
 * from inside its frame, everything a plugin must not do, and each attempt fails while the
 * workspace carries on; a plugin gets what its person granted, only that, and loses it when they
 * take it back.
 */

const PROBE_DIR = join(import.meta.dir, "..", "..", "fixtures", "plugins", "probe");
/** What Chromium logs for what the sandbox stopped; expected here, and nothing else. */
const SANDBOX_NOISE = [
  /Content Security Policy/,
  /Blocked a frame/,
  /sandboxed/i,
  /Failed to load resource/,
  /net::ERR_BLOCKED_BY_CSP/,
  /WebSocket connection/,
  /Unsafe attempt to initiate navigation/,
  /SecurityError/,
];

const suite = pluginSuite();
const start = suite.start;

const rowOf = (node: RunningBinary, id: string) => call<PluginRow>(node, "GET", `/api/plugins/${id}`);

describe("a hostile plugin in its sandbox", () => {
  test("every attempt to reach the node, the page or the internet fails, its own room works, and the workspace stays usable", async () => {
    const node = await start("sandbox-host", nodeFolder({ hostile: { copy: HOSTILE_DIR } }));
    const { page, errors } = await openPage(suite.browser(), node);
    const startUrl = page.url();
    await openFromPalette(page, "hostile", "hostile");
    // It asks for nothing, so nothing is asked of the person.
    const frame = pluginFrame(page, "hostile");
    await frame.locator('[data-testid="attempts"][data-done="true"]').waitFor({ timeout: 30_000 });
    const attempts = await frame
      .locator("li[data-attempt]")
      .evaluateAll((items) =>
        Object.fromEntries(
          items.map((li) => [
            (li as HTMLElement).dataset.attempt,
            `${(li as HTMLElement).dataset.outcome}: ${li.textContent}`,
          ]),
        ),
      );
    await page.screenshot({ path: join(ARTIFACTS, "plugin-sandbox-hostile.png") });

    const expected = [
      "fetch-invite",
      "websocket",
      "parent-document",
      "top-navigation",
      "popup",
      "storage",
      "outside-image",
      "outside-fetch",
      "webrtc",
      "node-api",
      "chat-channel",
      "other-plugin-room",
      "builtin-room",
      "undeclared-permission",
      "share-without-permission",
    ];
    for (const name of expected) expect(`${name} ${attempts[name]}`).toStartWith(`${name} blocked:`);
    expect(attempts["other-plugin-room"]).toContain("room shared-counter:main is not this pane's");
    expect(attempts["builtin-room"]).toContain("room scratch:main is not this pane's");
    expect(attempts["undeclared-permission"]).toContain(
      "Hostile does not ask for peers:read in its pane.json",
    );
    expect(attempts["share-without-permission"]).toContain("sharing needs the collab permission");
    expect(attempts["own-room"]).toStartWith("allowed:");

    // The browser's own reports are the proof that nothing left: the node heard of each.
    await waitFor(async () => {
      const { blocked } = await rowOf(node, "hostile");
      const seen = blocked.recent.map((v) => `${v.directive} ${v.blocked}`);
      return (
        seen.some((s) => s.startsWith("connect-src http://203.0.113.9")) &&
        seen.some((s) => s.startsWith("img-src http://203.0.113.9"))
      );
    }, "the node to hear the frame's policy violations");

    // The top window never moved, and the workspace still opens panes and runs others.
    expect(page.url()).toBe(startUrl);
    const counter = await openCounter(page);
    await counter.getByTestId("counter-inc").click();
    await textBecomes(counter.getByTestId("counter-value"), "1");
    await openFromPalette(page, "settings", "settings");
    const row = page.getByTestId("plugin-row-hostile");
    await row.getByTestId("plugin-blocked-hostile").waitFor({ state: "visible" });
    expect(await row.textContent()).toContain("Asks for nothing");
    await page.screenshot({ path: join(ARTIFACTS, "plugin-settings.png") });
    expect(errors.filter((e) => !SANDBOX_NOISE.some((r) => r.test(e)))).toEqual([]);
    await page.close();
  });
});

describe("permissions a person grants and takes back", () => {
  test("refused at first, a plugin's calls fail with why; granted in Settings they work; turned off, its pane says so", async () => {
    const [ana, ben] = await Promise.all([
      start("ana", nodeFolder({ probe: { copy: PROBE_DIR } })),
      start("ben", nodeFolder()),
    ]);
    const { invite } = await call<{ invite: string }>(ana, "POST", "/api/network/invite", {});
    expect(await call(ben, "POST", "/api/network/pair", { invite })).toMatchObject({ ok: true });
    await waitFor(async () => {
      const { peers } = await call<{ peers: Array<{ status: string }> }>(ana, "GET", "/api/network/peers");
      return peers.some((p) => p.status === "connected");
    }, "ana and ben to link");

    const { page, errors } = await openPage(suite.browser(), ana);
    await openFromPalette(page, "probe", "probe");
    const prompt = page.getByTestId("plugin-permission-prompt");
    await prompt.waitFor({ state: "visible" });
    for (const words of [
      "See your peers' names and whether they are online",
      "Put notices in your inbox",
      "Send a chat message to a peer you pick each time",
    ]) {
      expect(await prompt.textContent()).toContain(words);
    }
    await page.getByTestId("plugin-refuse").click();
    const probe = pluginFrame(page, "probe");
    const out = probe.getByTestId("probe-out");
    await probe.getByTestId("probe-peers").click();
    await textBecomes(
      out,
      "refused Probe is not allowed to see your peers' names and whether they are online",
    );
    expect((await rowOf(ana, "probe")).granted).toEqual([]);

    // Granted in Settings, the open pane's next call works.
    await openFromPalette(page, "settings", "settings");
    for (const p of ["peers:read", "notify", "chat:send"]) {
      await page.getByTestId(`plugin-grant-probe-${p}`).check();
      await waitFor(async () => (await rowOf(ana, "probe")).granted.includes(p as never), `${p} granted`);
    }
    await page.getByTestId("tab-probe").click();
    await probe.getByTestId("probe-peers").click();
    await textBecomes(out, 'ok [{"name":"ben","status":"online"}]');

    await probe.getByTestId("probe-notify").click();
    await textBecomes(out, "ok undefined");
    const { notices } = await call<{ notices: Array<{ kind: string; text: string }> }>(
      ana,
      "GET",
      "/api/notices",
    );
    expect(notices.some((n) => n.kind === "plugin" && n.text === "Probe: the probe says hello")).toBe(true);

    // chat:send: the person sees the text and picks who gets it; cancel sends nothing.
    await probe.getByTestId("probe-chat").click();
    const picker = page.getByTestId("plugin-chat-picker");
    await picker.waitFor({ state: "visible" });
    expect(await page.getByTestId("plugin-chat-text").textContent()).toBe("hello from the probe");
    await page.getByTestId("plugin-chat-cancel").click();
    await textBecomes(out, 'ok {"sent":false,"reason":"cancelled by its person"}');
    await probe.getByTestId("probe-chat").click();
    await picker.waitFor({ state: "visible" });
    await page.getByTestId("plugin-chat-send").click();
    await textBecomes(out, 'ok {"sent":true,"to":"ben"}');
    await waitFor(async () => {
      const { messages } = await call<{ messages: Array<{ text: string; direction: string }> }>(
        ben,
        "GET",
        `/api/chat/${(await call<{ node_id: string }>(ana, "GET", "/api/network/identity")).node_id}/messages`,
      );
      return messages.some((m) => m.text === "hello from the probe" && m.direction === "in");
    }, "ben to get the probe's message");

    // Revoked, the next call fails again; turned off, the pane says so at once.
    await openFromPalette(page, "settings", "settings");
    await page.getByTestId("plugin-revoke-probe").click();
    await waitFor(async () => (await rowOf(ana, "probe")).granted.length === 0, "the grants revoked");
    await page.getByTestId("plugin-enabled-probe").click();
    await waitFor(async () => !(await rowOf(ana, "probe")).enabled, "the probe turned off");
    await page.getByTestId("tab-probe").click();
    await page.getByTestId("plugin-off").waitFor({ state: "visible" });
    expect(await page.getByTestId(`plugin-frame-probe`).count()).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, "plugin-turned-off.png") });
    expect(errors).toEqual([]);
    await page.close();
  });
});
