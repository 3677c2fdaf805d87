import { describe, expect, test } from "bun:test";
import {
  agentApiKey,
  agentBackend,
  agentBaseUrl,
  agentCommand,
  agentSettings,
  agentTimeoutS,
} from "../../../server/agents/agent-settings.ts";
import { SECRET_SHOWN } from "../../../server/settings/registry.ts";
import { loggedNodes } from "../../helpers/logged-node.ts";

/** Distinctive enough that finding it anywhere in a body, frame or log line means it leaked. */
const KEY = "sk-agent-TEST-0xDEADBEEF-never-shown";

const node = loggedNodes();

describe("the agent's settings on a node", () => {
  test("exist with their defaults: no agent, blank server, model, key and command, 120 s", async () => {
    const { get } = await node();
    expect(JSON.parse(await get())).toMatchObject({
      "agent.backend": "none",
      "agent.baseUrl": "",
      "agent.model": "",
      "agent.apiKey": "",
      "agent.command": "",
      "agent.timeoutS": 120,
    });
  });

  test("the API key is stored and used, but GET /api/settings, the schema, tabs and the log never show it", async () => {
    const { node: n, lines, put, get, tab: openTabOf } = await node();
    const tab = await openTabOf();
    const saved = await put({ [agentBackend.key]: "openai", [agentApiKey.key]: KEY });
    expect(saved.status).toBe(200);
    expect(saved.text).not.toContain(KEY);
    expect(JSON.parse(saved.text)[agentApiKey.key]).toBe(SECRET_SHOWN);
    const shown = await get();
    expect(shown).not.toContain(KEY);
    expect(JSON.parse(shown)[agentApiKey.key]).toBe(SECRET_SHOWN);
    const schema = await get("/schema");
    expect(schema).not.toContain(KEY);
    const { settings } = JSON.parse(schema) as { settings: Array<{ key: string; secret?: boolean }> };
    expect(settings.filter((s) => s.key.startsWith("agent.") && s.secret).map((s) => s.key)).toEqual([
      agentApiKey.key,
    ]);
    const heard = await tab.next((f) => f.event === "settings_changed");
    expect(heard.data).toEqual({ values: { [agentBackend.key]: "openai", [agentApiKey.key]: SECRET_SHOWN } });
    // A form saved whole, with the placeholder in it, keeps the key.
    expect((await put(JSON.parse(shown))).status).toBe(200);
    expect(n.settings.get(agentApiKey)).toBe(KEY);
    await n.stop();
    expect(JSON.stringify(tab.frames)).not.toContain(KEY);
    expect(lines.filter((l) => l.includes(KEY))).toEqual([]);
  });

  test("values the settings refuse are refused by field, and a refused key is not echoed", async () => {
    const { node: n, put } = await node();
    const refusals: Array<[string, unknown]> = [
      [agentBackend.key, "gpt"],
      [agentBaseUrl.key, "ftp://models.example.org"],
      [agentBaseUrl.key, "models.example.org/v1"],
      [agentBaseUrl.key, "https://me:hunter2@models.example.org/v1"],
      [agentTimeoutS.key, 0],
      [agentTimeoutS.key, 3601],
      [agentTimeoutS.key, 1.5],
      [agentCommand.key, "agent --name 'unclosed"],
      [agentCommand.key, "./agent.sh"],
      [agentApiKey.key, `${KEY}${"x".repeat(600)}`],
    ];
    for (const [key, value] of refusals) {
      const res = await put({ [key]: value });
      expect(res.status).toBe(400);
      expect(JSON.parse(res.text)).toMatchObject({ field: key });
      expect(res.text).not.toContain(KEY);
      expect(res.text).not.toContain("hunter2");
    }
    const accepted = {
      [agentBaseUrl.key]: "http://127.0.0.1:11434/v1",
      [agentTimeoutS.key]: 3600,
      [agentCommand.key]: "llm --model 'local model' -",
    };
    expect((await put(accepted)).status).toBe(200);
    expect(n.settings.get(agentTimeoutS)).toBe(3600);
    expect((await put({ [agentTimeoutS.key]: 1 })).status).toBe(200);
  });

  test("every agent setting says in words what it does", () => {
    for (const def of agentSettings) expect(def.description.length).toBeGreaterThan(40);
  });
});
