import { afterAll, beforeAll } from "bun:test";
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, FrameLocator, Locator, Page } from "playwright-core";
import { LOCAL_NODE_ARGS, lonelyBinary, type RunningBinary, startBinary } from "./binary.ts";
import { launchChromium, watchErrors } from "./browser.ts";
import { tempDir } from "./temp-dir.ts";

/**
 * Compiled nodes with third-party panes installed, and the page side of them: a plugin's pane is
 * a sandboxed frame, so what it draws is reached through `pluginFrame`.
 */

const repo = join(import.meta.dir, "..", "..");
/** The example built by scripts/build-example.ts. */
export const EXAMPLE = "shared-counter";
/** A plugin that tries what the sandbox must stop, as plain JS (tests/fixtures/plugins/hostile). */
export const HOSTILE_DIR = join(repo, "tests", "fixtures", "plugins", "hostile");

/** A `pane.json` for a test plugin. */
export function paneJson(id: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    id,
    name: id,
    version: "1.0.0",
    engine: ">=0.1.0 <1",
    entry: "index.js",
    ...extra,
  });
}

/** Builds the example once; throws with the build's output when it fails. */
export function buildExample(): void {
  const built = Bun.spawnSync([process.execPath, join(repo, "scripts/build-example.ts"), EXAMPLE], {
    cwd: repo,
    stderr: "pipe",
  });
  if (built.exitCode !== 0) throw new Error(`example build failed: ${built.stderr.toString()}`);
}

/**
 * A fresh folder whose data dir has the example installed, plus the given plugins: inline files,
 * or a folder to copy.
 */
export function nodeFolder(
  extra: Record<string, { json: string; js: string } | { copy: string }> = {},
): string {
  const dir = tempDir("weft-plugins-");
  const plugins = join(dir, "data", "plugins");
  mkdirSync(plugins, { recursive: true });
  cpSync(join(repo, "dist", "examples", EXAMPLE), join(plugins, EXAMPLE), { recursive: true });
  for (const [id, files] of Object.entries(extra)) {
    if ("copy" in files) {
      cpSync(files.copy, join(plugins, id), { recursive: true });
      continue;
    }
    mkdirSync(join(plugins, id));
    writeFileSync(join(plugins, id, "pane.json"), files.json);
    writeFileSync(join(plugins, id, "index.js"), files.js);
  }
  return dir;
}

/** Starts the compiled node `bin` on the data dir of `folder`. */
export function startPluginNode(bin: string, name: string, folder: string): Promise<RunningBinary> {
  return startBinary(bin, [...LOCAL_NODE_ARGS, "--name", name], folder);
}

/**
 * A browser suite of plugin panes: before it, the example is built and Chromium launched; after
 * it, both go with every node the suite started.
 */
export function pluginSuite(): {
  browser: () => Browser;
  start: (name: string, folder: string) => Promise<RunningBinary>;
} {
  let browser: Browser | undefined;
  let bin = "";
  const nodes: RunningBinary[] = [];
  beforeAll(async () => {
    buildExample();
    bin = lonelyBinary().bin;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.all(nodes.filter((n) => n.proc.exitCode === null).map((n) => n.signal()));
  });
  return {
    browser: () => {
      if (!browser) throw new Error("the suite's browser is not up yet");
      return browser;
    },
    async start(name, folder) {
      const node = await startPluginNode(bin, name, folder);
      nodes.push(node);
      return node;
    },
  };
}

/** A fresh page on the node, connected, with its console errors collected. */
export async function openPage(
  browser: Browser,
  node: RunningBinary,
): Promise<{ page: Page; errors: string[] }> {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  const errors = watchErrors(page);
  await page.goto(node.url);
  await page.waitForSelector('[data-testid="connection-indicator"][data-state="connected"]', {
    timeout: 5000,
  });
  return { page, errors };
}

/** Opens a pane from the keyboard palette, as a person would. */
export async function openFromPalette(page: Page, query: string, paneId: string): Promise<void> {
  await page.keyboard.press("Control+k");
  await page.getByTestId("palette-input").fill(query);
  await page.getByTestId(`palette-item-${paneId}`).waitFor({ state: "visible" });
  await page.keyboard.press("Enter");
  await page.getByTestId(`pane-${paneId}`).waitFor({ state: "visible" });
}

/** What the plugin's sandboxed frame draws. */
export function pluginFrame(page: Page, id: string): FrameLocator {
  return page.frameLocator(`[data-testid="plugin-frame-${id}"]`);
}

/** Waits until `locator`'s text is `text`, or fails saying what it was. */
export async function textBecomes(locator: Locator, text: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  let last: string | null = null;
  while (Date.now() < deadline) {
    last = await locator.textContent({ timeout: ms }).catch(() => null);
    if (last === text) return;
    await Bun.sleep(50);
  }
  throw new Error(`expected "${text}", last saw "${last}"`);
}

/**
 * Opens the example as a person does the first time: the palette, then Allow on what it asks
 * for (sharing its counter), then its counter live in its frame.
 */
export async function openCounter(
  page: Page,
  answer: "allow" | "refuse" | "none" = "allow",
): Promise<FrameLocator> {
  await openFromPalette(page, "counter", EXAMPLE);
  if (answer !== "none") {
    await page.getByTestId("plugin-permission-prompt").waitFor({ state: "visible" });
    await page.getByTestId(answer === "allow" ? "plugin-allow" : "plugin-refuse").click();
  }
  const frame = pluginFrame(page, EXAMPLE);
  await frame.locator('[data-testid="shared-counter"][data-status="live"]').waitFor({ timeout: 10_000 });
  return frame;
}
