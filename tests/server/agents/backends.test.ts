import type { AgentQuestion } from "../../../server/agents/agent-backend.ts";
import { CommandBackend } from "../../../server/agents/command-backend.ts";
import { InboxBackend } from "../../../server/agents/inbox-backend.ts";
import { OpenAiBackend } from "../../../server/agents/openai-backend.ts";
import { until } from "../../helpers/agent-answers.ts";
import { processGone, recordingProgram } from "../../helpers/agent-programs.ts";
import { startOpenAiStub } from "../../helpers/openai-stub-server.ts";
import { ANSWER_PARTS, backendContract } from "./backend-contract.ts";

// The openai backend against a local server speaking the chat-completions wire.
backendContract("openai", async (behaviour, { timeoutMs }) => {
  const stub = startOpenAiStub(
    behaviour === "answer"
      ? { kind: "stream", deltas: ANSWER_PARTS, gapMs: 20 }
      : behaviour === "endless"
        ? { kind: "stall", deltas: ANSWER_PARTS.slice(0, 1) }
        : { kind: "error", status: 500 },
  );
  const backend = new OpenAiBackend({
    baseUrl: stub.baseUrl,
    model: "gpt-4o-mini",
    apiKey: "sk-test",
    timeoutMs,
  });
  const last = () => stub.requests.at(-1)?.body as { messages: Array<{ content: string }> } | undefined;
  return {
    backend,
    received: async () => last()?.messages[0]?.content ?? "",
    started: async () => stub.requests.length > 0,
    released: async () => stub.open() === 0,
    cleanup: () => stub.stop(),
  };
});

// The command backend running a real program.
backendContract("command", async (behaviour, { timeoutMs }) => {
  const program = recordingProgram(behaviour, ANSWER_PARTS);
  const backend = new CommandBackend({ command: program.command, timeoutMs, graceMs: 500 });
  const gone = (pid: number | undefined) => pid === undefined || processGone(pid);
  return {
    backend,
    received: async () => {
      await until(() => program.stdin() !== undefined, "the program to read its stdin");
      return program.stdin() ?? "";
    },
    started: async () => program.pid() !== undefined,
    released: async () => gone(program.pid()) && gone(program.childPid()),
    cleanup: async () => {},
  };
});

// The inbox, with the test replying as the person at the Agent pane.
backendContract("inbox", async (_behaviour, { timeoutMs }) => {
  const inbox = new InboxBackend({ timeoutMs: () => timeoutMs });
  let seen: string | undefined;
  let arrivals = 0;
  inbox.onChange(() => {
    arrivals++;
    seen ??= inbox.pending()[0]?.framed;
  });
  const waiting = async (q: AgentQuestion) => {
    await until(() => inbox.pending().some((p) => p.requestId === q.requestId), "the question to wait");
  };
  return {
    backend: inbox,
    async drive(q, behaviour) {
      await waiting(q);
      if (behaviour === "fail") {
        inbox.decline(q.requestId, "not today");
        return;
      }
      for (const part of ANSWER_PARTS.slice(0, -1)) {
        inbox.write(q.requestId, part);
        await Bun.sleep(10);
        if (behaviour === "endless") return; // the person started typing and never sent
      }
      inbox.reply(q.requestId, ANSWER_PARTS.at(-1) ?? "");
    },
    received: async () => seen ?? "",
    started: async () => arrivals > 0,
    released: async () => inbox.pending().length === 0,
    cleanup: async () => {},
  };
});
