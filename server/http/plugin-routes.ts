import { Hono } from "hono";
import type { ApiError } from "../../protocol/rest.ts";
import { fileInside, isPlainSegment } from "../panes/plugin-paths.ts";
import { sandboxPolicy } from "../plugins/frame-policy.ts";
import type { HttpContext, HttpEnv } from "./context.ts";

/**
 * `GET /plugins/<id>/<path>`: a usable plugin's bundle and the files beside it, and nothing else.
 * The URL parser has already collapsed plain `..` segments; what is left is checked here segment
 * by segment after decoding (so `..%2f` or `%5c` cannot smuggle a separator), then the real path,
 * symlinks resolved, must still lie inside the plugin's folder. Everything else, and every file
 * of a plugin its person turned off, is a 404 that says no more than "not found".
 *
 * The plugin's frame is an opaque origin, so its module imports are CORS requests: files carry
 * `access-control-allow-origin: *` (a plugin's files are no secret, whoever reads them). They carry
 * the frame's sandbox policy too, instead of the workspace's, so an HTML file in a plugin's folder
 * opened on its own is just as sandboxed and cut off (docs/architecture.md, "Plugins in a sandbox").
 */
export function pluginRoutes(ctx: HttpContext) {
  const notFound = { error: "not found" } satisfies ApiError;
  return new Hono<HttpEnv>().get("*", (c) => {
    const segments = decodeSegments(new URL(c.req.url).pathname);
    const [id, ...rest] = segments ?? [];
    const root = id === undefined ? undefined : ctx.panes.pluginRoot(id);
    if (id === undefined || !root || rest.length === 0) return c.json(notFound, 404);
    const file = fileInside(root, rest);
    if (!file.ok) return c.json(notFound, 404);
    const body = Bun.file(file.path);
    return new Response(body, {
      headers: {
        // The guard let the request in only with a Host that names this node on loopback.
        "content-security-policy": sandboxPolicy((c.req.header("host") ?? "").toLowerCase(), id),
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "access-control-allow-origin": "*",
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
