/**
 * Checks on what the person types before anything is sent, each with one sentence saying what is
 * wrong. The shapes come from the wire's own schemas (protocol/lobby.ts), so a value that passes
 * here is one the node accepts.
 */
import { roomId, roomToken } from "../../protocol/lobby.ts";
import { LOBBY_URLS_MAX_CHARS } from "../../protocol/lobby-channel.ts";
import type { Checked } from "../sdk/index.ts";

const LOBBY_SCHEMES = new Set(["ws:", "wss:", "http:", "https:"]);
/** As long as one lobby address may be. */
const MAX_URL = 300;
/** As many addresses as the node takes: instances of one lobby. */
const MAX_ADDRESSES = 8;
const MAX_ROOM_NAME = 64;

/**
 * A lobby's address: ws://, wss://, http:// or https://, with a host; or several instances of one
 * lobby separated by commas or spaces, each checked alike.
 */
export function checkLobbyUrl(text: string): Checked {
  const value = text.trim();
  if (value === "") return { ok: false, error: "Type the lobby's address first." };
  if (value.length > LOBBY_URLS_MAX_CHARS)
    return { ok: false, error: "That is too long for lobby addresses." };
  const parts = value.split(/[\s,]+/).filter((p) => p !== "");
  if (parts.length > MAX_ADDRESSES) {
    return { ok: false, error: `At most ${MAX_ADDRESSES} addresses, the instances of one lobby.` };
  }
  for (const part of parts) {
    const checked = checkOneLobbyUrl(part);
    if (!checked.ok) return parts.length === 1 ? checked : { ok: false, error: `${part}: ${checked.error}` };
  }
  return { ok: true, value };
}

function checkOneLobbyUrl(value: string): Checked {
  if (value.length > MAX_URL)
    return { ok: false, error: `That address is too long (at most ${MAX_URL} characters).` };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, error: "Not an address: it should look like ws://lobby.example:7400." };
  }
  if (!LOBBY_SCHEMES.has(url.protocol)) {
    return { ok: false, error: "A lobby address starts with ws://, wss://, http:// or https://." };
  }
  if (url.hostname === "") return { ok: false, error: "The address has no host." };
  return { ok: true, value };
}

/** A room's name as others will see it in the list. */
export function checkRoomName(text: string): Checked {
  const value = text.trim();
  if (value === "") return { ok: false, error: "Give the room a name." };
  if (value.length > MAX_ROOM_NAME) {
    return { ok: false, error: `That name is too long (at most ${MAX_ROOM_NAME} characters).` };
  }
  return { ok: true, value };
}

/**
 * A room id as the host passed it on: 32 hex digits. Spaces a chat app added are dropped and
 * capitals lowered, since ids are written in lowercase.
 */
export function checkRoomId(text: string): Checked {
  const value = text.replace(/\s+/g, "").toLowerCase();
  if (value === "") return { ok: false, error: "Paste the room id the host gave you." };
  if (!roomId.safeParse(value).success) {
    const why = value.length === 32 ? "it holds other characters" : `this one has ${value.length}`;
    return { ok: false, error: `A room id is 32 characters of 0–9 and a–f; ${why}.` };
  }
  return { ok: true, value };
}

/** A room token: 22 characters of letters, digits, "-" and "_". */
export function checkRoomToken(text: string): Checked {
  const value = text.trim();
  if (value === "")
    return { ok: false, error: "Type the room's token; the host can copy it from their Lobby pane." };
  if (!roomToken.safeParse(value).success) {
    const why = value.length === 22 ? "it holds other characters" : `this one has ${value.length}`;
    return { ok: false, error: `A room token is 22 characters of letters, digits, "-" and "_"; ${why}.` };
  }
  return { ok: true, value };
}

/** The optional token of a join by id: blank means none. */
export function checkOptionalToken(
  text: string,
): { ok: true; value: string | undefined } | { ok: false; error: string } {
  if (text.trim() === "") return { ok: true, value: undefined };
  return checkRoomToken(text);
}
