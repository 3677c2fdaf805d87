import { beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { callNode as call, type RunningBinary } from "../../helpers/binary.ts";
import { ARTIFACTS, waitFor } from "../../helpers/browser.ts";
import {
  EXAMPLE,
  nodeFolder,
  openCounter,
  openFromPalette,
  openPage,
  paneJson,
  pluginFrame,
  pluginSuite,
  textBecomes,
} from "../../helpers/plugin-nodes.ts";

/**
 * Third-party panes end to end: the example built as its own bundle, dropped into the plugins
 * folder of a compiled node's data dir, opened in Chromium inside its sandboxed frame, and shared
 * between two nodes through that sandbox.
 */

/** What the pane frame logs for a pane that failed; the only console error these tests expect. */
const EXPECTED_REPORTS = ['pane "broken" failed', 'pane "late-fail" failed', 'pane "no-mount" failed'];

const suite = pluginSuite();
const start = suite.start;

describe("third-party panes on one node", () => {
  let node: RunningBinary;

  beforeAll(async () => {
    node = await start(
      "plugin-host",
      nodeFolder({
        broken: {
          json: paneJson("broken", { name: "Broken pane" }),
          js: 'export default { mount() { throw new Error("broken on purpose: mount failed"); } };',
        },
        "late-fail": {
          json: paneJson("late-fail"),
          js: `export default {
            mount(target) {
              const button = document.createElement("button");
              button.dataset.testid = "late-fail-button";
              button.textContent = "Fail later";
              button.onclick = () => { throw new Error("late failure from a click"); };
              target.append(button);
              return () => button.remove();
            },
          };`,
        },
        "no-mount": { json: paneJson("no-mount"), js: "export default { render() {} };" },
        "too-new": {
          json: paneJson("too-new", { name: "Too new", engine: ">=99.0.0" }),
          js: "export default {};",
        },
      }),
    );
  });

  test("the example asks for what it needs the first time, then opens in its frame and counts", async () => {
    const { page, errors } = await openPage(suite.browser(), node);
    await openFromPalette(page, "counter", EXAMPLE);
    const prompt = page.getByTestId("plugin-permission-prompt");
    await prompt.waitFor({ state: "visible" });
    expect(await prompt.textContent()).toContain("Share its own shared panes with your peers");
    await page.screenshot({ path: join(ARTIFACTS, "plugin-permission-prompt.png") });
    await page.getByTestId("plugin-allow").click();

    const frame = pluginFrame(page, EXAMPLE);
    await frame.locator('[data-testid="shared-counter"][data-status="live"]').waitFor({ timeout: 10_000 });
    const value = frame.getByTestId("counter-value");
    expect(await value.textContent()).toBe("0");
    await frame.getByTestId("counter-inc").click();
    await frame.getByTestId("counter-inc").click();
    await frame.getByTestId("counter-dec").click();
    await textBecomes(value, "1");
    expect(await page.getByTestId("tab-shared-counter").textContent()).toContain("Shared counter");
    // The frame is sandboxed: an opaque origin, scripts only.
    const sandbox = await page.getByTestId(`plugin-frame-${EXAMPLE}`).getAttribute("sandbox");
    expect(sandbox).toBe("allow-scripts");
    // A saved layout keeps the plugin's tab, the answer is kept, and the count lives in the node's room.
    await page.reload();
    await frame.locator('[data-testid="shared-counter"][data-status="live"]').waitFor({ timeout: 10_000 });
    await textBecomes(value, "1");
    expect(await page.getByTestId("plugin-permission-prompt").count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("Ctrl+K opens the palette while the plugin's frame has focus, and the theme reaches the frame", async () => {
    const { page, errors } = await openPage(suite.browser(), node);
    const frame = await openCounter(page, "none");
    await frame.getByTestId("counter-inc").focus();
    await page.keyboard.press("Control+k");
    await page.getByTestId("palette-input").waitFor({ state: "visible" });
    await page.keyboard.press("Escape");
    const themeOf = () =>
      frame.locator("html").evaluate((html) => ({
        theme: html.dataset.theme ?? "",
        background: getComputedStyle(html.querySelector("button.btn.primary") as Element).backgroundColor,
      }));
    await page.evaluate(() => (document.documentElement.dataset.theme = "dark"));
    await waitFor(async () => (await themeOf()).theme === "dark", "the frame to turn dark");
    const dark = (await themeOf()).background;
    await page.evaluate(() => (document.documentElement.dataset.theme = "light"));
    await waitFor(async () => (await themeOf()).theme === "light", "the frame to turn light");
    expect((await themeOf()).background).not.toBe(dark);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("a plugin that throws in mount shows its error in its own frame and the rest keeps working", async () => {
    const { page, errors } = await openPage(suite.browser(), node);
    const counter = await openCounter(page, "none");
    await openFromPalette(page, "broken", "broken");
    await page.getByTestId("split-right").click();

    const failed = page.getByTestId("pane-broken").getByTestId("pane-error");
    await failed.waitFor({ state: "visible" });
    expect(await failed.textContent()).toContain("broken on purpose: mount failed");
    // Retry loads its frame again, which fails again, still only in that pane.
    await page.getByTestId("pane-broken").getByTestId("pane-retry").click();
    await failed.waitFor({ state: "visible" });

    // The other pane still counts, and the shell still opens panes.
    await page.getByTestId("tab-shared-counter").click();
    const before = Number(await counter.getByTestId("counter-value").textContent());
    await counter.getByTestId("counter-inc").click();
    await textBecomes(counter.getByTestId("counter-value"), String(before + 1));
    expect(await page.getByTestId("pane-shared-counter").getByTestId("pane-error").count()).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, "plugin-pane.png") });
    await openFromPalette(page, "about", "about");

    expect(errors.filter((e) => !EXPECTED_REPORTS.some((r) => e.startsWith(r)))).toEqual([]);
    expect(errors.length).toBeGreaterThan(0);
    await page.close();
  });

  test("a bundle without mount, or an error a plugin throws later, also stays in its own frame", async () => {
    const { page, errors } = await openPage(suite.browser(), node);
    await openFromPalette(page, "no-mount", "no-mount");
    const noMount = page.getByTestId("pane-no-mount").getByTestId("pane-error");
    await noMount.waitFor({ state: "visible" });
    expect(await noMount.textContent()).toContain("does not export a pane");

    await openFromPalette(page, "late-fail", "late-fail");
    // Clicked just after the call returns: the click takes the frame away, and a Playwright action
    // whose frame is detached before it returns waits out its whole timeout.
    await pluginFrame(page, "late-fail")
      .getByTestId("late-fail-button")
      .evaluate((button) => setTimeout(() => (button as HTMLButtonElement).click(), 0));
    const late = page.getByTestId("pane-late-fail").getByTestId("pane-error");
    await late.waitFor({ state: "visible" });
    expect(await late.textContent()).toContain("late failure from a click");
    // Retry mounts it afresh.
    await page.getByTestId("pane-late-fail").getByTestId("pane-retry").click();
    await pluginFrame(page, "late-fail").getByTestId("late-fail-button").waitFor({ state: "visible" });

    await openCounter(page, "none");
    expect(errors.filter((e) => !EXPECTED_REPORTS.some((r) => e.startsWith(r)))).toEqual([]);
    await page.close();
  });

  test("a plugin with a bad manifest is listed disabled in the palette, with its reason", async () => {
    const { page, errors } = await openPage(suite.browser(), node);
    await page.keyboard.press("Control+k");
    await page.getByTestId("palette-input").fill("too new");
    const item = page.getByTestId("palette-unavailable-too-new");
    await item.waitFor({ state: "visible" });
    expect(await item.getAttribute("aria-disabled")).toBe("true");
    expect(await item.textContent()).toContain("needs weft >=99.0.0, but this is weft");
    await page.screenshot({ path: join(ARTIFACTS, "plugin-palette-unavailable.png") });
    await item.click({ force: true });
    await page.keyboard.press("Enter");
    expect(await page.getByTestId("pane-too-new").count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe("a third-party pane shared between two nodes", () => {
  async function connectedPeers(node: RunningBinary): Promise<number> {
    const { peers } = await call<{ peers: Array<{ status: string }> }>(node, "GET", "/api/network/peers");
    return peers.filter((p) => p.status === "connected").length;
  }

  test("a count on one node shows on the other once the room is shared and opened there, all through the sandbox", async () => {
    const [alice, bob] = await Promise.all([start("alice", nodeFolder()), start("bob", nodeFolder())]);
    const { invite } = await call<{ invite: string }>(alice, "POST", "/api/network/invite", {});
    const paired = await call<{ ok: boolean; error?: string }>(bob, "POST", "/api/network/pair", { invite });
    expect(paired).toMatchObject({ ok: true });
    await waitFor(
      async () => (await connectedPeers(alice)) === 1 && (await connectedPeers(bob)) === 1,
      "the two nodes to connect",
    );

    const a = await openPage(suite.browser(), alice);
    const b = await openPage(suite.browser(), bob);
    const aFrame = await openCounter(a.page);
    const bFrame = await openCounter(b.page);

    // Bob's own counter is his: alice's share never merges into it.
    for (let i = 0; i < 4; i++) await bFrame.getByTestId("counter-inc").click();
    await aFrame.getByTestId("counter-share").click();
    await aFrame.locator('[data-testid="counter-share"][aria-pressed="true"]').waitFor({ timeout: 5000 });
    for (let i = 0; i < 3; i++) await aFrame.getByTestId("counter-inc").click();
    // The share waits as a notice until bob opens it; Open mounts the pane on alice's room.
    const toast = b.page.getByTestId("toast").filter({ hasText: "alice shared Shared counter with you" });
    await toast.waitFor({ state: "visible", timeout: 10_000 });
    expect(await bFrame.getByTestId("counter-value").textContent()).toBe("4");
    await toast.getByTestId("toast-action").click();
    await textBecomes(bFrame.getByTestId("counter-value"), "3");
    // And back: bob's clicks reach alice through the same room.
    await bFrame.getByTestId("counter-dec").click();
    await textBecomes(aFrame.getByTestId("counter-value"), "2");
    expect(await bFrame.getByTestId("counter-members").textContent()).toContain("alice");
    await b.page.screenshot({ path: join(ARTIFACTS, "plugin-pane-shared.png") });

    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
    await a.page.close();
    await b.page.close();
  });
});
