import type { SettingsStore } from "../settings/settings-store.ts";
import type { AgentBackend } from "./agent-backend.ts";
import {
  agentApiKey,
  agentBackend,
  agentBaseUrl,
  agentCommand,
  agentModel,
  agentTimeoutS,
} from "./agent-settings.ts";
import { CommandBackend, type CommandBackendOptions } from "./command-backend.ts";
import { InboxBackend } from "./inbox-backend.ts";
import { NoneBackend } from "./none-backend.ts";
import { OpenAiBackend } from "./openai-backend.ts";

/** What outlives one question: the node's inbox, and where a program's stderr goes. */
export interface AgentBackendParts {
  /** The node's one inbox (`inboxForSettings`): its questions wait across settings reads. */
  inbox: InboxBackend;
  /** The command backend's stderr, for the node's log. */
  onStderr?: CommandBackendOptions["onStderr"];
}

/** The node's inbox, its deadline read from `agent.timeoutS` as each question arrives. */
export function inboxForSettings(settings: SettingsStore): InboxBackend {
  return new InboxBackend({ timeoutMs: () => settings.get(agentTimeoutS) * 1000 });
}

/**
 * The backend `agent.backend` names, built from the settings as they are now. Call it for each
 * question: a backend is cheap to build, and a changed setting then applies to the next question
 * without anything to restart or to tear down.
 */
export function backendForSettings(settings: SettingsStore, parts: AgentBackendParts): AgentBackend {
  const kind = settings.get(agentBackend);
  const timeoutMs = settings.get(agentTimeoutS) * 1000;
  switch (kind) {
    case "none":
      return new NoneBackend();
    case "openai":
      return new OpenAiBackend({
        baseUrl: settings.get(agentBaseUrl),
        model: settings.get(agentModel),
        apiKey: settings.get(agentApiKey),
        timeoutMs,
      });
    case "command":
      return new CommandBackend({
        command: settings.get(agentCommand),
        timeoutMs,
        ...(parts.onStderr ? { onStderr: parts.onStderr } : {}),
      });
    case "inbox":
      return parts.inbox;
    default: {
      const never: never = kind;
      return never;
    }
  }
}
