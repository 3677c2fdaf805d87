import { z } from "zod";
import { approvalPolicy } from "../../protocol/agent.ts";
import { defineSetting } from "../settings/registry.ts";
import { AGENT_BACKEND_KINDS } from "./agent-backend.ts";
import { CommandLineError, parseCommandLine } from "./command-argv.ts";

/**
 * The agent's settings: which backend answers trusted peers' questions, and what each needs.
 * Read again for every question (backend-for-settings.ts), so a change applies to the next one.
 */
export const agentBackend = defineSetting({
  key: "agent.backend",
  schema: z.enum(AGENT_BACKEND_KINDS),
  default: "none",
  description:
    "What answers questions from trusted peers: none (this node has no agent), openai (an " +
    "OpenAI-compatible model server), command (a program on this computer) or inbox (you answer " +
    "by hand in the Agent pane). Questions come with no tools: nothing on this node is acted on.",
});

export const agentBaseUrl = defineSetting({
  key: "agent.baseUrl",
  schema: z
    .string()
    .trim()
    .max(500)
    .refine((v) => v === "" || isHttpUrl(v), "must be an http:// or https:// URL, or blank")
    .refine((v) => v === "" || !hasLogin(v), "must not hold a user name or password: use agent.apiKey"),
  default: "",
  description:
    "Base URL of the OpenAI-compatible server for the openai backend, without /chat/completions, " +
    "e.g. https://api.openai.com/v1 or http://127.0.0.1:11434/v1.",
});

export const agentModel = defineSetting({
  key: "agent.model",
  schema: z.string().trim().max(200),
  default: "",
  description: "Model the openai backend asks for, e.g. gpt-4o-mini. Blank: the server's default.",
});

export const agentApiKey = defineSetting({
  key: "agent.apiKey",
  schema: z.string().trim().max(500),
  default: "",
  secret: true,
  description:
    "API key for the openai backend, sent as a Bearer token to agent.baseUrl only. Kept here, " +
    "never shown back, never sent to a peer. Blank: no Authorization header.",
});

export const agentCommand = defineSetting({
  key: "agent.command",
  schema: z
    .string()
    .trim()
    .max(1000)
    .superRefine((v, ctx) => {
      if (v === "") return;
      try {
        parseCommandLine(v);
      } catch (err) {
        if (!(err instanceof CommandLineError)) throw err;
        ctx.addIssue({ code: "custom", message: err.message });
      }
    }),
  default: "",
  description:
    "Program for the command backend, with its arguments (quoted like a shell, but no shell runs " +
    "it). It gets the question on stdin and writes the answer to stdout, in an empty folder with " +
    "only PATH set; it is stopped on cancel or timeout.",
});

export const agentTimeoutS = defineSetting({
  key: "agent.timeoutS",
  schema: z.int().min(1).max(3600),
  default: 120,
  description: "Seconds a question may take to be answered in full before it is given up (1 to 3600).",
});

export const agentAllowRemote = defineSetting({
  key: "agent.allowRemote",
  schema: z.boolean(),
  default: false,
  description:
    "Let trusted peers ask this node's agent at all. Off: every question is refused as disabled. " +
    "On: each peer's approval policy decides (agent.defaultApproval unless set for that peer).",
});

export const agentDefaultApproval = defineSetting({
  key: "agent.defaultApproval",
  schema: approvalPolicy,
  default: "ask",
  description:
    "For a peer without a policy of its own: ask (you see each question and approve or reject it), " +
    "always (answered at once) or never (refused).",
});

export const agentRatePerMinute = defineSetting({
  key: "agent.ratePerMinute",
  schema: z.int().min(1).max(600),
  default: 6,
  description: "Questions one peer may ask in a minute; more are refused as rate limited.",
});

export const agentSettings = [
  agentAllowRemote,
  agentDefaultApproval,
  agentRatePerMinute,
  agentBackend,
  agentBaseUrl,
  agentModel,
  agentApiKey,
  agentCommand,
  agentTimeoutS,
];

function isHttpUrl(text: string): boolean {
  const url = URL.parse(text);
  return url !== null && (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
}

function hasLogin(text: string): boolean {
  const url = URL.parse(text);
  return url !== null && (url.username !== "" || url.password !== "");
}
