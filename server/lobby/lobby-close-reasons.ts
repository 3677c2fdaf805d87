import type { LobbyServerOf } from "../../protocol/lobby.ts";

/**
 * Sentences a person reads in the Lobby pane when the lobby socket is down: why it failed, in
 * terms of what they can do about it, not socket codes alone.
 */

/** Why the socket never opened, from the error event Bun's WebSocket client raises. */
export function unreachableText(url: string, event: Event): string {
  const error = (event as Event & { error?: { code?: unknown; message?: unknown } }).error;
  const code = typeof error?.code === "string" ? error.code : undefined;
  const message =
    typeof error?.message === "string"
      ? error.message
      : typeof (event as Event & { message?: unknown }).message === "string"
        ? String((event as Event & { message?: unknown }).message)
        : "";
  const status = /Expected 101 status code: (\d{3})/.exec(message)?.[1];
  if (code === "ECONNREFUSED") return `cannot reach ${url}: connection refused`;
  if (code === "ENOTFOUND" || code === "EAI_NONAME") return `cannot reach ${url}: no such host`;
  if (code === "ETIMEDOUT") return `cannot reach ${url}: the connection timed out`;
  if (code === "ECONNRESET") return `cannot reach ${url}: the connection was reset`;
  if (status) return `cannot reach ${url}: it answered HTTP ${status}, so no lobby is there`;
  const detail = message.replace(/^WebSocket connection to '[^']*' failed: /, "").slice(0, 120);
  return detail ? `cannot reach ${url}: ${detail}` : `cannot reach ${url}`;
}

/** What a `goodbye` from the lobby means for the person. */
export function goodbyeText(msg: LobbyServerOf<"goodbye">): string {
  const reason = msg.reason.toLowerCase();
  if (reason.includes("replace")) return REPLACED;
  if (isShutdown(msg)) return "the lobby is shutting down";
  return `lobby closed: ${msg.reason || "it said goodbye"}`;
}

/** A `goodbye` of a lobby instance going away (a restart, a scale-down): another may be up. */
export function isShutdown(msg: LobbyServerOf<"goodbye">): boolean {
  return msg.reason.toLowerCase().includes("shut");
}

export const REPLACED = "lobby closed: replaced by a newer connection of this node";

/** A lobby `error`, before registration (a refusal) or after it. */
export function errorText(msg: LobbyServerOf<"error">, registered: boolean): string {
  if (msg.code === "replaced") return REPLACED;
  return registered ? `lobby error: ${msg.message}` : `lobby refused the registration: ${msg.message}`;
}

/** A close without an earlier goodbye or error to explain it. */
export function closeText(code: number, reason: string, registered: boolean): string {
  const why = reason ? `${reason} (${code})` : code === 1006 ? "connection lost" : `code ${code}`;
  return registered ? `lobby closed: ${why}` : `lobby closed the connection before registration: ${why}`;
}
