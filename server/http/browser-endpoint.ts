import type { Logger } from "../log.ts";
import type { SocketEndpoint } from "../wire/socket-endpoint.ts";
import type { BrowserHub, BrowserSocket } from "../ws/browser-hub.ts";
import { checkLocalRequest } from "./local-guard.ts";
import { throttledWarn } from "./request-edge.ts";

/** `/ws`: the tabs' socket, for loopback clients of this very origin only (docs/architecture.md). */
export function browserEndpoint(browsers: BrowserHub, log: Logger): SocketEndpoint {
  const warnRefused = throttledWarn(log);
  return {
    path: "/ws",
    upgrade(req, from) {
      const verdict = checkLocalRequest({
        path: "/ws",
        method: req.method,
        remoteAddress: from.remoteAddress,
        host: req.headers.get("host"),
        origin: req.headers.get("origin"),
        port: from.port,
        isUpgrade: true,
      });
      if (!verdict.ok) {
        warnRefused("refused /ws upgrade", {
          from: from.remoteAddress,
          reason: verdict.reason.slice(0, 200),
        });
        return Response.json({ error: verdict.reason }, { status: 403 });
      }
      let socket: BrowserSocket | undefined;
      return {
        open(ws) {
          const opened: BrowserSocket = {
            send: (text) => {
              ws.send(text);
            },
            close: (code, reason) => ws.close(code, reason),
          };
          socket = opened;
          browsers.open(opened);
        },
        message(raw) {
          if (socket) void browsers.message(socket, raw);
        },
        close() {
          if (socket) browsers.close(socket);
        },
      };
    },
  };
}
