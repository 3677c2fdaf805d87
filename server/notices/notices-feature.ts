import { noticesClientEvent } from "../../protocol/notices.ts";
import { browserChannel, defineFeature } from "../features/feature.ts";
import { noticeRoutes } from "./notice-routes.ts";
import { registerTrustNotices } from "./trust-notices.ts";

/**
 * The inbox as tabs reach it: the `notices` channel and `GET /api/notices`, plus the notices the
 * acceptor's trust decisions raise. The inbox itself (`ctx.notices`) is a shared part of the node,
 * since every feature adds to it.
 */
export const noticesFeature = defineFeature({
  name: "notices",
  create(ctx) {
    const { notices } = ctx;
    let offTrust = () => {};
    return {
      api: notices,
      channel: browserChannel({
        name: "notices",
        schema: noticesClientEvent,
        handle: (s, m) => notices.onTab(s, m),
      }),
      routes: { mount: "notices", app: noticeRoutes(notices) },
      start() {
        offTrust = registerTrustNotices(ctx.fabric.trust, notices);
      },
      stop() {
        offTrust();
      },
    };
  },
});
