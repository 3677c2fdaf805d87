import { Hono } from "hono";
import type { NoticesResponse } from "../../protocol/notices.ts";
import type { ApiError } from "../../protocol/rest.ts";
import type { HttpEnv } from "../http/context.ts";
import type { NoticeService } from "./notice-service.ts";
import { MAX_NOTICES } from "./notice-store.ts";

/** `GET /api/notices?limit=<n>`: the newest notices first, and the unread count. */
export function noticeRoutes(notices: NoticeService) {
  return new Hono<HttpEnv>().get("/", (c) => {
    const limit = Number(c.req.query("limit") ?? 100);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_NOTICES) {
      return c.json(
        { error: `limit must be a whole number from 1 to ${MAX_NOTICES}`, field: "limit" } satisfies ApiError,
        400,
      );
    }
    return c.json(notices.list(limit) satisfies NoticesResponse);
  });
}
