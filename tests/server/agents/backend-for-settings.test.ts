import { afterEach, describe, expect, test } from "bun:test";
import {
  agentApiKey,
  agentBackend,
  agentBaseUrl,
  agentCommand,
  agentModel,
  agentSettings,
  agentTimeoutS,
} from "../../../server/agents/agent-settings.ts";
import { backendForSettings, inboxForSettings } from "../../../server/agents/backend-for-settings.ts";
import { collect, expectReadable, question, until } from "../../helpers/agent-answers.ts";
import { quoteArg, writeProgram } from "../../helpers/agent-programs.ts";
import { type OpenAiStub, startOpenAiStub } from "../../helpers/openai-stub-server.ts";
import { settingsStore } from "../../helpers/settings-store.ts";

/** Distinctive enough that finding it in a request where it should not be means it leaked. */
const KEY = "sk-agent-TEST-0xDEADBEEF-never-shown";

const stubs: OpenAiStub[] = [];
afterEach(async () => {
  for (const stub of stubs.splice(0)) await stub.stop();
});

describe("the backend the settings name", () => {
  test("none refuses: this node has no agent", async () => {
    const settings = settingsStore(agentSettings);
    const backend = backendForSettings(settings, { inbox: inboxForSettings(settings) });
    expect(backend.kind).toBe("none");
    const { error } = await collect(backend, question());
    expectReadable(error);
    expect(error.code).toBe("unavailable");
    expect(error.message).toBe("this node has no agent");
  });

  test("openai asks the server at agent.baseUrl for agent.model, with agent.apiKey", async () => {
    const stub = startOpenAiStub({ kind: "stream", deltas: ["from ", "the model"] });
    stubs.push(stub);
    const settings = settingsStore(agentSettings);
    settings.update({
      [agentBackend.key]: "openai",
      [agentBaseUrl.key]: stub.baseUrl,
      [agentModel.key]: "local-7b",
      [agentApiKey.key]: KEY,
    });
    const backend = backendForSettings(settings, { inbox: inboxForSettings(settings) });
    expect(await collect(backend, question())).toEqual({ deltas: ["from ", "the model"], error: undefined });
    expect(stub.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(stub.requests[0]?.body).toMatchObject({ model: "local-7b", stream: true });
  });

  test("command runs agent.command, its stderr handed to the log callback, within agent.timeoutS", async () => {
    const settings = settingsStore(agentSettings);
    const logged: string[] = [];
    const program = writeProgram('echo "to the log" >&2\nprintf "from "\nprintf "the program"');
    settings.update({ [agentBackend.key]: "command", [agentCommand.key]: quoteArg(program) });
    const parts = { inbox: inboxForSettings(settings), onStderr: (t: string) => logged.push(t) };
    const answered = await collect(backendForSettings(settings, parts), question());
    expect(answered.error).toBeUndefined();
    expect(answered.deltas.join("")).toBe("from the program");
    expect(logged).toEqual(["to the log\n"]);
    settings.update({ [agentCommand.key]: quoteArg(writeProgram("sleep 5")), [agentTimeoutS.key]: 1 });
    const { error } = await collect(backendForSettings(settings, parts), question());
    expect(error).toMatchObject({ code: "timeout", message: "no answer within 1 s" });
  });

  test("inbox is the node's one inbox, whatever is read in between, and a change applies to the next question", async () => {
    const settings = settingsStore(agentSettings);
    const inbox = inboxForSettings(settings);
    settings.update({ [agentBackend.key]: "inbox" });
    const first = backendForSettings(settings, { inbox });
    const q = question();
    const answered = collect(first, q);
    await until(() => inbox.pending().length === 1, "the question to wait");
    expect(backendForSettings(settings, { inbox })).toBe(inbox);
    settings.update({ [agentBackend.key]: "none" });
    expect(backendForSettings(settings, { inbox }).kind).toBe("none");
    // The question asked before the change still waits for the person.
    inbox.reply(q.requestId, "still answered");
    expect(await answered).toEqual({ deltas: ["still answered"], error: undefined });
  });
});
