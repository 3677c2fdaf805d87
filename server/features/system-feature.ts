import { systemClientEvent } from "../../protocol/browser.ts";
import { PROTOCOL_VERSION } from "../../protocol/version.ts";
import { WEFT_VERSION } from "../version.ts";
import { type BrowserSocket, channelSender } from "../ws/browser-hub.ts";
import { browserChannel, defineFeature } from "./feature.ts";

/**
 * The `system` channel: every tab is greeted with who this node is (`welcome`, again on `hello`)
 * and hears when a setting changes, so two tabs never disagree about either.
 */
export const systemFeature = defineFeature({
  name: "system",
  create(ctx) {
    const { browsers } = ctx;
    const tabs = channelSender(browsers, "system");
    const welcome = (socket: BrowserSocket) =>
      tabs.send(socket, "welcome", {
        node_id: ctx.identity.nodeId,
        node_name: ctx.nodeName(),
        version: WEFT_VERSION,
        protocol_version: PROTOCOL_VERSION,
        started_at: ctx.startedAt,
      });
    browsers.onOpen(welcome);
    let offSettings = () => {};
    return {
      api: undefined,
      start() {
        offSettings = ctx.settings.onChange((changed) =>
          tabs.broadcast("settings_changed", { values: ctx.settings.shown(changed) }),
        );
      },
      stop() {
        offSettings();
      },
      channel: browserChannel({
        name: "system",
        schema: systemClientEvent,
        handle(socket, msg) {
          switch (msg.event) {
            case "hello":
              return welcome(socket);
            default: {
              const never: never = msg.event;
              return never;
            }
          }
        },
      }),
    };
  },
});
