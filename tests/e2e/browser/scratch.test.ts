import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import * as Y from "yjs";
import { binaryPool, callNode as call, type RunningBinary } from "../../helpers/binary.ts";
import { ARTIFACTS, launchChromium, watchErrors } from "../../helpers/browser.ts";

/**
 * Two compiled nodes paired over REST, Scratch open on each in a real browser: alice shares her
 * note, bob is told and opens it, and both type at once. Nothing either typed may be lost, and
 * nothing bob wrote in his own note ever reaches alice.
 */

let browser: Browser;
const { start, stopAll } = binaryPool();
let alice: RunningBinary;
let bob: RunningBinary;

/** Every collab row of a running node's database with its text, read with a connection of our own. */
async function storedRooms(node: RunningBinary): Promise<{ owner: string; access: string; text: string }[]> {
  const { data_dir } = await call<{ data_dir: string }>(node, "GET", "/api/about");
  const db = new Database(join(data_dir, "weft.db"), { readonly: true });
  try {
    return db
      .query<{ owner_id: string; access: string; state: Uint8Array }, []>(
        "SELECT owner_id, access, state FROM collab_rooms",
      )
      .all()
      .map((r) => {
        const doc = new Y.Doc();
        Y.applyUpdate(doc, new Uint8Array(r.state));
        return { owner: r.owner_id, access: r.access, text: doc.getText("text").toString() };
      });
  } finally {
    db.close();
  }
}

async function nodeId(node: RunningBinary): Promise<string> {
  return (await call<{ node_id: string }>(node, "GET", "/api/network/identity")).node_id;
}

/** A page on `node` with Scratch open from the palette and its room live. */
async function openScratch(node: RunningBinary): Promise<{ page: Page; errors: string[] }> {
  const page = await (await browser.newContext({ viewport: { width: 1100, height: 720 } })).newPage();
  const errors = watchErrors(page);
  await page.goto(node.url);
  await page.waitForSelector('[data-testid="connection-indicator"][data-state="connected"]', {
    timeout: 5000,
  });
  await page.keyboard.press("Control+k");
  await page.getByTestId("palette-input").fill("scratch");
  await page.keyboard.press("Enter");
  await page.waitForSelector('[data-testid="scratch-status"][data-state="private"]', { timeout: 5000 });
  return { page, errors };
}

const editorText = (page: Page) => page.getByTestId("scratch-editor").inputValue();

beforeAll(async () => {
  [alice, bob] = await Promise.all([start("alice"), start("bob")]);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stopAll();
});

describe("Scratch shared between two nodes in a real browser", () => {
  test("alice shares, bob opens it from the notice, and text both type at once all arrives", async () => {
    const [aliceId, bobId] = [await nodeId(alice), await nodeId(bob)];
    const a = await openScratch(alice);
    const b = await openScratch(bob);
    // Bob's own note holds a private line before anything is shared.
    await b.page.getByTestId("scratch-editor").click();
    await b.page.keyboard.type("bob's private line");

    // Pair by invite over REST, then wait until alice's share menu offers bob.
    const { invite } = await call<{ invite: string }>(alice, "POST", "/api/network/invite", {});
    const paired = await call<{ ok: boolean; error?: string }>(bob, "POST", "/api/network/pair", { invite });
    expect(paired).toMatchObject({ ok: true });
    await a.page.getByTestId("scratch-share-pick").click();
    await a.page.getByTestId(`scratch-share-peer-${bobId}`).waitFor({ state: "visible", timeout: 10_000 });
    expect(await a.page.getByTestId("scratch-share-menu").textContent()).toContain("bob");
    await a.page.keyboard.press("Escape");
    await a.page.getByTestId("scratch-share-menu").waitFor({ state: "detached" });

    // Bob closes his Scratch so the notice is what brings him back to it.
    await b.page.getByTestId("tab-scratch").getByTestId("tab-close").click();
    await b.page.getByTestId("pane-scratch").waitFor({ state: "detached" });

    await a.page.getByTestId("scratch-share-toggle").click();
    await a.page.waitForSelector('[data-testid="scratch-share-toggle"][aria-pressed="true"]', {
      timeout: 5000,
    });
    expect(await a.page.getByTestId("scratch-share-toggle").textContent()).toContain("Shared with bob");

    const toast = b.page.getByTestId("toast").filter({ hasText: "alice shared Scratch with you" });
    await toast.waitFor({ state: "visible", timeout: 10_000 });
    // Not joined until bob opens it: his node holds an invitation and none of alice's document.
    expect((await storedRooms(bob)).find((r) => r.owner === aliceId)).toEqual({
      owner: aliceId,
      access: "invited",
      text: "",
    });
    await toast.getByTestId("toast-action").click();
    // The notice opens alice's note, a room of its own beside bob's: nothing merged.
    await b.page.waitForSelector(`[data-testid="scratch-note-editor"][data-room="scratch:main@${aliceId}"]`, {
      timeout: 5000,
    });
    await b.page.waitForSelector('[data-testid="scratch-status"][data-state="live"]', { timeout: 5000 });
    expect(await b.page.getByTestId("scratch-owner").textContent()).toContain("alice's note");
    expect(await editorText(b.page)).toBe("");
    expect(await editorText(a.page)).toBe("");
    await b.page.waitForSelector('[data-testid="scratch-presence"][data-count="2"]', { timeout: 10_000 });
    await a.page.waitForSelector('[data-testid="scratch-presence"][data-count="2"]', { timeout: 10_000 });
    expect(await b.page.getByTestId("scratch-presence").textContent()).toContain("alice");
    expect(await a.page.getByTestId("scratch-share-menu").count()).toBe(0);

    // Both type at once: interleaved bursts, each at the end of their own line.
    const aEditor = a.page.getByTestId("scratch-editor");
    const bEditor = b.page.getByTestId("scratch-editor");
    await aEditor.click();
    await a.page.keyboard.type("alice: ");
    await b.page.waitForFunction(() => {
      const el = document.querySelector<HTMLTextAreaElement>('[data-testid="scratch-editor"]');
      return el?.value.includes("alice: ");
    });
    await bEditor.click();
    await b.page.keyboard.press("Control+Home");
    await b.page.keyboard.type("bob: ");
    await b.page.keyboard.press("Enter");
    await b.page.keyboard.press("ArrowLeft");

    const aWords = ["apples ", "pears ", "plums ", "figs ", "dates "];
    const bWords = ["ONE ", "TWO ", "THREE ", "FOUR ", "FIVE "];
    for (let i = 0; i < aWords.length; i++) {
      await Promise.all([
        a.page.keyboard.type(aWords[i]!, { delay: 5 }),
        b.page.keyboard.type(bWords[i]!, { delay: 5 }),
      ]);
    }

    // Bob's line is the first, alice's the second; each kept typing where they were.
    const expected = `bob: ${bWords.join("")}\nalice: ${aWords.join("")}`;
    const settled = (page: Page) =>
      page.waitForFunction(
        (want) =>
          document.querySelector<HTMLTextAreaElement>('[data-testid="scratch-editor"]')?.value === want,
        expected,
        { timeout: 10_000 },
      );
    await Promise.all([settled(a.page), settled(b.page)]).catch(async (err) => {
      throw new Error(
        `${err}\nalice sees ${JSON.stringify(await editorText(a.page))}\nbob sees ${JSON.stringify(await editorText(b.page))}`,
      );
    });
    const [aText, bText] = await Promise.all([editorText(a.page), editorText(b.page)]);
    expect(aText).toBe(expected);
    expect(bText).toBe(expected);
    const count = Number.parseInt((await a.page.getByTestId("scratch-count").textContent()) ?? "", 10);
    expect(count).toBe([...aText].length);

    expect(aText).not.toContain("private");
    // Saved within a second; alice's database holds her room alone, and none of bob's private line.
    await Bun.sleep(1100);
    const aliceRooms = await storedRooms(alice);
    expect(aliceRooms.map((r) => r.owner)).toEqual([""]);
    expect(aliceRooms[0]?.text).toBe(expected);
    expect((await storedRooms(bob)).find((r) => r.owner === "")?.text).toBe("bob's private line");
    await a.page.screenshot({ path: join(ARTIFACTS, "scratch-shared.png") });

    // Each sees the other's caret, named and where it is: alice's at the end of the second line.
    const aliceCaret = b.page.getByTestId("remote-caret").filter({ hasText: "alice" });
    await aliceCaret.waitFor({ state: "visible", timeout: 5000 });
    await a.page.getByTestId("remote-caret").filter({ hasText: "bob" }).waitFor({ timeout: 5000 });
    const [caretBox, editorBox] = [await aliceCaret.boundingBox(), await bEditor.boundingBox()];
    expect(caretBox && editorBox).toBeTruthy();
    const lineHeight = caretBox!.height;
    // Below the first line, and to the right of "alice: apples …" rather than at the line's start.
    expect(caretBox!.y - editorBox!.y).toBeGreaterThan(lineHeight * 1.2);
    expect(caretBox!.y - editorBox!.y).toBeLessThan(lineHeight * 3);
    expect(caretBox!.x - editorBox!.x).toBeGreaterThan(200);
    // Alice stopped typing a moment ago: once she has been idle, bob is no longer told she types.
    const notTyping = () =>
      b.page.waitForFunction(
        () => !document.querySelector('[data-testid="scratch-typing"]')?.textContent?.includes("typing"),
        undefined,
        { timeout: 5000 },
      );
    await notTyping();

    // While alice types, bob is told so.
    await a.page.keyboard.type("x");
    await b.page
      .getByTestId("scratch-typing")
      .filter({ hasText: "alice is typing…" })
      .waitFor({ timeout: 5000 });
    await a.page.keyboard.press("Backspace");
    await Promise.all([settled(a.page), settled(b.page)]);
    await notTyping();

    // Alice selects "pears": bob sees it tinted in her colour, on her line.
    await a.page.evaluate(() => {
      const el = document.querySelector<HTMLTextAreaElement>('[data-testid="scratch-editor"]')!;
      const at = el.value.indexOf("pears");
      el.setSelectionRange(at, at + "pears".length);
    });
    const selection = b.page.locator('[data-testid="remote-selection"][data-name="alice"]');
    await selection.first().waitFor({ state: "attached", timeout: 5000 });
    const selBox = await selection.first().boundingBox();
    expect(selBox!.width).toBeGreaterThan(20);
    expect(Math.abs(selBox!.y - caretBox!.y)).toBeLessThan(lineHeight / 2);
    await b.page.screenshot({ path: join(ARTIFACTS, "scratch-carets.png") });

    // Bob's own note is still his alone.
    await b.page.getByTestId("scratch-note").filter({ hasText: "Notes" }).click();
    await b.page.waitForSelector('[data-testid="scratch-note-editor"][data-room="scratch:main"]');
    await b.page.waitForFunction(
      () =>
        document.querySelector<HTMLTextAreaElement>('[data-testid="scratch-editor"]')?.value ===
        "bob's private line",
    );
    expect(await editorText(a.page)).toBe(expected);

    // Alice stops sharing: bob's copy says so, turns read-only and stops saying Live.
    await b.page.getByTestId("scratch-shared-note").first().click();
    await b.page.waitForSelector('[data-testid="scratch-status"][data-state="live"]');
    await a.page.getByTestId("scratch-share-toggle").click();
    await b.page.waitForSelector('[data-testid="scratch-status"][data-state="readonly"]', { timeout: 5000 });
    expect(await b.page.getByTestId("scratch-revoked").textContent()).toContain(
      "alice stopped sharing this note",
    );
    expect(await b.page.getByTestId("scratch-editor").getAttribute("readonly")).not.toBeNull();
    expect(await b.page.getByTestId("scratch-presence").count()).toBe(0);
    await b.page.getByTestId("scratch-shared-note").first().waitFor();
    expect(await b.page.getByTestId("scratch-shared-note").first().getAttribute("data-access")).toBe(
      "revoked",
    );
    await b.page.screenshot({ path: join(ARTIFACTS, "scratch-revoked.png") });

    // Bob deletes his read-only copy; the pane goes back to his own note.
    await b.page.getByTestId("scratch-delete").click();
    await b.page.getByTestId("scratch-delete-confirm").click();
    await b.page.waitForSelector('[data-testid="scratch-note-editor"][data-room="scratch:main"]', {
      timeout: 5000,
    });
    await b.page.getByTestId("scratch-shared-note").waitFor({ state: "detached" });
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
  });

  test("notes: a new one is named, shared with one peer, and listed there under its owner's name", async () => {
    const a = await openScratch(alice);
    const b = await openScratch(bob);
    await a.page.getByTestId("scratch-new-note").click();
    await a.page.waitForSelector('[data-testid="scratch-note-editor"][data-room^="scratch:n-"]');
    await a.page.getByTestId("scratch-title").fill("Groceries");
    await a.page.getByTestId("scratch-title").press("Enter");
    await a.page.getByTestId("scratch-note").filter({ hasText: "Groceries" }).waitFor({ timeout: 5000 });
    await a.page.getByTestId("scratch-editor").click();
    await a.page.keyboard.type("milk, eggs");
    await a.page.getByTestId("scratch-share-toggle").click();
    const row = a.page.getByTestId("scratch-note").filter({ hasText: "Groceries" });
    await row.filter({ hasText: "Shared with bob" }).waitFor({ timeout: 5000 });
    expect(await a.page.getByTestId("scratch-shared-with").textContent()).toContain("Shared with bob");

    const listed = b.page.getByTestId("scratch-shared-note").filter({ hasText: "alice's Groceries" });
    await listed.waitFor({ timeout: 10_000 });
    expect(await listed.textContent()).toContain("New");
    await listed.click();
    await b.page.waitForFunction(
      () =>
        document.querySelector<HTMLTextAreaElement>('[data-testid="scratch-editor"]')?.value === "milk, eggs",
      undefined,
      { timeout: 5000 },
    );
    expect(await b.page.getByTestId("scratch-title").inputValue()).toBe("Groceries");
    await listed.filter({ hasText: "New" }).waitFor({ state: "detached", timeout: 5000 });
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
  });
});
