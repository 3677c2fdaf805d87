import { randomUUID } from "node:crypto";
import { type Context, Hono } from "hono";
import {
  type PluginPeersResponse,
  type PluginsResponse,
  pluginChatRequest,
  pluginEnabledRequest,
  pluginGrantsRequest,
  pluginNoticeRequest,
} from "../../protocol/plugin.ts";
import type { ApiError } from "../../protocol/rest.ts";
import { ChatRefused, type ChatService } from "../chat/chat-service.ts";
import type { PeerHub } from "../fabric/peer-hub.ts";
import type { HttpEnv } from "../http/context.ts";
import { jsonBody } from "../http/zod-body.ts";
import type { NoticeService } from "../notices/notice-service.ts";
import { PluginRefusal, type PluginService } from "./plugin-service.ts";
import { RateWindow } from "./rate-window.ts";

/** Notices one plugin may add per minute. */
export const NOTICES_PER_MINUTE = 6;

export interface PluginApiDeps {
  plugins: PluginService;
  hub: PeerHub;
  notices: NoticeService;
  chat: ChatService;
}

/**
 * `/api/plugins`: the installed plugins for Settings, the person's answers, and the calls a
 * plugin's frame makes through the workspace (docs/architecture.md, "Plugins in a sandbox").
 * The workspace checks a call before it makes it; every call is checked here again on its own
 * (`PluginService.allowed`), so nothing that reaches this route unchecked gets further.
 */
export function pluginApi(d: PluginApiDeps): Hono<HttpEnv> {
  const noticeLimit = new RateWindow(NOTICES_PER_MINUTE, 60_000);
  return new Hono<HttpEnv>()
    .get("/", (c) => c.json({ plugins: d.plugins.list() } satisfies PluginsResponse))
    .get("/:id", (c) => answer(c, () => d.plugins.row(c.req.param("id"))))
    .put("/:id/grants", jsonBody(pluginGrantsRequest), (c) =>
      answer(c, () => d.plugins.grant(c.req.param("id"), c.req.valid("json").granted), "granted"),
    )
    .put("/:id/enabled", jsonBody(pluginEnabledRequest), (c) =>
      answer(c, () => d.plugins.enable(c.req.param("id"), c.req.valid("json").enabled)),
    )
    .get("/:id/peers", (c) =>
      answer(c, () => {
        d.plugins.allowed(c.req.param("id"), "peers:read");
        // Names and link status only: no node ids, keys or addresses reach a plugin.
        const peers = d.hub
          .rows()
          .filter((p) => p.trusted && !p.blocked)
          .map(
            (p) => ({ name: p.node_name, status: p.status === "connected" ? "online" : "offline" }) as const,
          );
        return { peers } satisfies PluginPeersResponse;
      }),
    )
    .post("/:id/notices", jsonBody(pluginNoticeRequest), (c) =>
      answer(c, () => {
        const plugin = d.plugins.allowed(c.req.param("id"), "notify");
        const room = noticeLimit.take(plugin.id);
        if (!room.ok) {
          const seconds = Math.max(1, Math.ceil(room.retryInMs / 1000));
          c.header("retry-after", String(seconds));
          throw new PluginRefusal(
            429,
            `${plugin.name} may put at most ${NOTICES_PER_MINUTE} notices a minute in your inbox; ` +
              `try again in ${seconds} s`,
          );
        }
        d.notices.add({
          kind: "plugin",
          peer: null,
          text: `${plugin.name}: ${c.req.valid("json").text}`,
          action: { label: "Open", paneId: plugin.id },
        });
        return { ok: true };
      }),
    )
    .post("/:id/chat", jsonBody(pluginChatRequest), (c) =>
      answer(c, () => {
        d.plugins.allowed(c.req.param("id"), "chat:send");
        const { peer_id, text } = c.req.valid("json");
        // The workspace sends only to the peer its person picked; anyone else is no peer here.
        const peer = d.hub.row(peer_id);
        if (!peer?.trusted || peer.blocked) throw new PluginRefusal(404, "no such peer");
        try {
          // As this node's person would send it: stored, then sent or queued for the peer.
          d.chat.send(peer_id, text, `plugin-${randomUUID()}`);
        } catch (err) {
          if (err instanceof ChatRefused) throw new PluginRefusal(400, err.message);
          throw err;
        }
        return { ok: true };
      }),
    );
}

/** Runs a handler and answers its value as JSON, or its refusal with the status it names. */
function answer(c: Context<HttpEnv>, run: () => object, field?: string): Response {
  try {
    return c.json(run());
  } catch (err) {
    if (!(err instanceof PluginRefusal)) throw err;
    const body: ApiError = { error: err.message };
    if (field !== undefined && err.status === 400) body.field = field;
    return c.json(body, err.status);
  }
}
