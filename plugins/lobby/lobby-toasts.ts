/**
 * Lobby news as toasts while the pane is open: a guest asking in (with Accept; a toast carries one
 * action, so Decline stays in the pane), a join that linked, an error no form waits for.
 */
import type { JoinRequest } from "../../protocol/lobby-channel.ts";
import { type PaneHost, shortId } from "../sdk/index.ts";
import { roomLabel } from "./lobby-format.ts";
import { requestKey } from "./lobby-model.ts";
import type { LobbyNews } from "./lobby-news.ts";
import { transportLabel } from "./lobby-steps.ts";

/** The toast key of a join request, so answering it anywhere takes its toast back. */
export function requestToastKey(request: JoinRequest): string {
  return `lobby-request:${requestKey(request)}`;
}

/** Shows `news` as a toast; `accept` is the request toast's action. */
export function toastNews(host: PaneHost, news: LobbyNews, accept: (request: JoinRequest) => void): void {
  switch (news.kind) {
    case "request": {
      const { request } = news;
      const who = `${request.guest.node_name || "An unnamed node"} (${shortId(request.guest.node_id)})`;
      host.notify(
        `${who} asks to join “${request.room_name}”. Accept here, or decline in the Lobby pane.`,
        "info",
        { label: "Accept", run: () => accept(request) },
        { title: "Join request", key: requestToastKey(request) },
      );
      break;
    }
    case "joined":
      host.notify(
        `Linked with ${news.peer} in ${roomLabel(news.room_name, news.room_id)}, ${transportLabel(news.transport)}.`,
        "success",
      );
      break;
    case "guest_joined":
      host.notify(`${news.peer} joined “${news.room_name}”, ${transportLabel(news.transport)}.`, "success");
      break;
    case "problem":
      host.notify(news.message, "error");
      break;
  }
}
