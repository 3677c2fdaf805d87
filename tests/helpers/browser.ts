import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";

/** Where browser tests leave screenshots (a few are kept in git; see .gitignore). */
export const ARTIFACTS = join(import.meta.dir, "..", "e2e", "artifacts");

/**
 * Debian's Chromium, headless. The flags keep it off the network: this machine allows no outside
 * connections, and Chromium's background services would otherwise keep trying.
 */
export async function launchChromium(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--headless=new",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Collects console errors and uncaught page errors, which a healthy UI never produces. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(e.message));
  return errors;
}

/** Polls an async check (a REST call, a page query) until it holds, or fails naming `what`. */
export async function waitFor(check: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

/**
 * A fresh page on the node at `url`, connected, with the pane `paneId` opened from the palette
 * (Ctrl+K, its name typed, Enter) as a person opens it; console errors are collected.
 */
export async function openPaneFromPalette(
  browser: Browser,
  url: string,
  paneId: string,
  viewport = { width: 1280, height: 1100 },
): Promise<{ page: Page; errors: string[] }> {
  const page = await (await browser.newContext({ viewport })).newPage();
  const errors = watchErrors(page);
  await page.goto(url);
  await page.waitForSelector('[data-testid="connection-indicator"][data-state="connected"]', {
    timeout: 5000,
  });
  await page.keyboard.press("Control+k");
  await page.getByTestId("palette-input").fill(paneId);
  await page.keyboard.press("Enter");
  await page.getByTestId(`pane-${paneId}`).waitFor({ state: "visible" });
  return { page, errors };
}
