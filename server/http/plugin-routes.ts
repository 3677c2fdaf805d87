import { Hono } from "hono";
import type { ApiError } from "../../protocol/rest.ts";
import { fileInside, isPlainSegment } from "../panes/plugin-paths.ts";
import type { HttpContext, HttpEnv } from "./context.ts";
import { SECURITY_HEADERS } from "./ui-routes.ts";

/**
 * `GET /plugins/<id>/<path>`: a usable plugin's bundle and the files beside it, and nothing else.
 * The URL parser has already collapsed plain `..` segments; what is left is checked here segment
 * by segment after decoding (so `..%2f` or `%5c` cannot smuggle a separator), then the real path,
 * symlinks resolved, must still lie inside the plugin's folder. Everything else is a 404 that
 * says no more than "not found".
 */
export function pluginRoutes(ctx: HttpContext) {
  const notFound = { error: "not found" } satisfies ApiError;
  return new Hono<HttpEnv>().get("*", (c) => {
    const segments = decodeSegments(new URL(c.req.url).pathname);
    const [id, ...rest] = segments ?? [];
    const root = id === undefined ? undefined : ctx.panes.pluginRoot(id);
    if (!root || rest.length === 0) return c.json(notFound, 404);
    const file = fileInside(root, rest);
    if (!file.ok) return c.json(notFound, 404);
    const body = Bun.file(file.path);
    return new Response(body, {
      headers: {
        ...SECURITY_HEADERS,
        "content-type": body.type,
        // A plugin may be replaced in place between restarts; always revalidate.
        "cache-control": "no-cache",
      },
    });
  });
}

/** The decoded segments after `/plugins/`, or undefined when any is malformed or not plain. */
function decodeSegments(pathname: string): string[] | undefined {
  const prefix = "/plugins/";
  if (!pathname.startsWith(prefix)) return undefined;
  const segments: string[] = [];
  for (const raw of pathname.slice(prefix.length).split("/")) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (!isPlainSegment(segment)) return undefined;
    segments.push(segment);
  }
  return segments;
}
