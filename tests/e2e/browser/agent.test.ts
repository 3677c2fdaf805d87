import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { quoteArg, writeProgram } from "../../helpers/agent-programs.ts";
import { binaryPool, callNode, pairBinaries, type RunningBinary } from "../../helpers/binary.ts";
import { ARTIFACTS, launchChromium, openPaneFromPalette, waitFor } from "../../helpers/browser.ts";

/**
 * The Agent pane in a real browser on two compiled nodes: one person asks the other's agent, the
 * other sees who asks and the whole question in their Agent pane and approves it, and the first
 * sees the answer arrive in parts from the other's program.
 */
let browser: Browser;
const { start, stopAll } = binaryPool();
let lisbon: RunningBinary;
let porto: RunningBinary;
let ids: { aId: string; bId: string };

const openAgent = (node: RunningBinary) => openPaneFromPalette(browser, node.url, "agent");

beforeAll(async () => {
  [lisbon, porto] = await Promise.all([start("lisbon"), start("porto")]);
  ids = await pairBinaries(lisbon, porto);
  // Porto's agent: a program that answers in three parts, a moment apart.
  const program = writeProgram(
    'cat > /dev/null; printf "Tides "; sleep 0.3; printf "turn at "; sleep 0.3; printf "noon."',
  );
  await callNode(porto, "PUT", "/api/settings", {
    "agent.allowRemote": true,
    "agent.backend": "command",
    "agent.command": quoteArg(program),
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stopAll();
});

describe("the Agent pane in a real browser", () => {
  test("lisbon asks porto's agent, porto's person approves, and lisbon sees the answer stream in", async () => {
    const a = await openAgent(lisbon);
    const b = await openAgent(porto);
    await a.page.getByTestId("agent-peer").waitFor({ state: "visible", timeout: 10_000 });
    expect(await a.page.getByTestId("agent-peer").inputValue()).toBe(ids.bId);
    await a.page.getByTestId("agent-prompt").fill("When do the tides turn?");
    await a.page.getByTestId("agent-send").click();

    const mine = a.page.locator('[data-testid^="agent-out-"][data-state]').first();
    await mine.waitFor({ state: "visible" });
    const requestId = (await mine.getAttribute("data-testid"))!.replace("agent-out-", "");
    await a.page.waitForSelector(`[data-testid="agent-out-${requestId}"][data-state="waiting_approval"]`);
    expect(await a.page.getByTestId(`agent-out-state-${requestId}`).textContent()).toBe(
      "waiting for approval",
    );

    const question = b.page.getByTestId(`agent-in-question-${requestId}`);
    await question.waitFor({ state: "visible", timeout: 10_000 });
    expect(await question.textContent()).toBe("When do the tides turn?");
    expect(await b.page.getByTestId(`agent-in-${requestId}`).textContent()).toContain("lisbon asks");
    await b.page.screenshot({ path: join(ARTIFACTS, "agent-approve.png") });
    await b.page.getByTestId(`agent-approve-${requestId}`).click();

    // Parts arrive before the whole: the pane shows an answer still growing, then the end.
    const answer = a.page.getByTestId(`agent-answer-${requestId}`);
    await a.page.waitForFunction(
      (id) => {
        const text = document.querySelector(`[data-testid="agent-answer-${id}"]`)?.textContent ?? "";
        return text.length > 0 && text !== "Tides turn at noon.";
      },
      requestId,
      { timeout: 10_000 },
    );
    await a.page.waitForSelector(`[data-testid="agent-out-${requestId}"][data-state="done"]`, {
      timeout: 10_000,
    });
    expect(await answer.textContent()).toBe("Tides turn at noon.");
    await b.page.waitForSelector(`[data-testid="agent-in-${requestId}"][data-state="done"]`);
    await a.page.screenshot({ path: join(ARTIFACTS, "agent-answer.png") });
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
  });

  test("porto sets lisbon's questions to be answered at once from the Peers pane, and sees the MCP endpoint with its token masked", async () => {
    const b = await openPaneFromPalette(browser, porto.url, "peers");
    await b.page.getByTestId(`peer-agent-policy-${ids.aId}`).selectOption("always");
    await waitFor(async () => {
      const { peers } = await callNode<{ peers: Array<{ node_id: string; agent_policy: string | null }> }>(
        porto,
        "GET",
        "/api/network/peers",
      );
      return peers.some((p) => p.node_id === ids.aId && p.agent_policy === "always");
    }, "the policy to be stored");
    const asked = await callNode<{ ok: boolean; answer?: string }>(lisbon, "POST", "/api/network/ask-peer", {
      peer_id: ids.bId,
      prompt: "again?",
    });
    expect(asked).toEqual({ ok: true, answer: "Tides turn at noon." });

    const agent = await openAgent(porto);
    const token = (await callNode<{ token: string }>(porto, "GET", "/api/mcp")).token;
    await agent.page.getByTestId("agent-mcp").waitFor({ state: "visible" });
    expect(await agent.page.getByTestId("agent-mcp-url").textContent()).toBe(
      `http://127.0.0.1:${porto.port}/mcp`,
    );
    const shown = (await agent.page.getByTestId("agent-mcp-token").textContent()) ?? "";
    expect(shown).not.toContain(token);
    expect(shown.startsWith(token.slice(0, 4))).toBe(true);
    expect(await agent.page.getByTestId("agent-mcp-config").textContent()).toContain("Authorization");
    expect(b.errors).toEqual([]);
    expect(agent.errors).toEqual([]);
  });
});
