import { LOBBY_WS_PATH } from "../../protocol/lobby.ts";

/** A lobby address a person typed that cannot be used, with a sentence saying why. */
export class LobbyUrlError extends Error {
  override readonly name = "LobbyUrlError";
}

const MAX_URL = 300;

/**
 * The `/lobby-ws` socket URL of what a person typed: `ws://` and `wss://` are kept, `http://` and
 * `https://` become them (people copy a lobby's page address), and the path gets `/lobby-ws`
 * appended unless it already ends in it, so a lobby behind a path prefix works too.
 */
export function normaliseLobbyUrl(raw: string): string {
  const text = raw.trim();
  if (text === "") throw new LobbyUrlError("no lobby address given: type one like wss://lobby.example.org");
  const shown = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  if (text.length > MAX_URL)
    throw new LobbyUrlError(`the lobby address is longer than ${MAX_URL} characters`);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    throw new LobbyUrlError(
      `"${shown}" is not a lobby address: start it with ws://, wss://, http:// or https://`,
    );
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new LobbyUrlError(`"${shown}" is not a lobby address: it does not read as a URL`);
  }
  const protocol = { ws: "ws:", http: "ws:", wss: "wss:", https: "wss:" }[scheme];
  if (protocol === undefined) {
    throw new LobbyUrlError(
      `"${shown}" is not a lobby address: ${scheme}:// is not a lobby scheme (use ws://, wss://, http:// or https://)`,
    );
  }
  if (url.hostname === "") throw new LobbyUrlError(`"${shown}" is not a lobby address: it names no host`);
  // A node proves who it is by its key; a password in the address would only end up in logs.
  if (url.username !== "" || url.password !== "") {
    throw new LobbyUrlError(`"${shown}" holds a user name or password; a lobby address takes neither`);
  }
  const base = url.pathname.replace(/\/+$/, "");
  const path = base.endsWith(LOBBY_WS_PATH) ? base : `${base}${LOBBY_WS_PATH}`;
  const port = url.port === "" ? "" : `:${url.port}`;
  return `${protocol}//${url.hostname}${port}${path}${url.search}`;
}

/** How many addresses `network.lobbyUrl` may list: the instances of one lobby, tried in order. */
export const MAX_LOBBY_ADDRESSES = 8;

/**
 * The `/lobby-ws` URLs of what a person typed: one address, or several instances of one lobby
 * separated by commas or spaces (docs/architecture.md, "Scale-out"), each normalised as
 * `normaliseLobbyUrl` does, a repeat dropped. Throws `LobbyUrlError` naming the first that cannot be used.
 */
export function parseLobbyUrls(raw: string): string[] {
  const parts = raw.split(/[\s,]+/).filter((p) => p !== "");
  if (parts.length === 0) return [normaliseLobbyUrl("")];
  if (parts.length > MAX_LOBBY_ADDRESSES) {
    throw new LobbyUrlError(
      `${parts.length} lobby addresses given; at most ${MAX_LOBBY_ADDRESSES} (the instances of one lobby)`,
    );
  }
  return [...new Set(parts.map(normaliseLobbyUrl))];
}
