import { existsSync, statSync } from "node:fs";
import { join, normalize } from "node:path";
import { Hono } from "hono";
import type { ApiError } from "../../protocol/rest.ts";
import { RESOURCES, resourcePath } from "../resources.ts";
import type { HttpEnv } from "./context.ts";

/**
 * Headers on every page and asset of the UI. Plugin files and frames have their own, sandboxed
 * policy instead (server/plugins/frame-policy.ts).
 */
export const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/**
 * The UI's headers for a request that reached this node as `host` (checked by the local guard):
 * {@link SECURITY_HEADERS} with `frame-src` narrowed to plugin frames, so the workspace embeds
 * nothing else and a plugin's frame can never navigate itself to another address
 * (docs/architecture.md, "Plugins in a sandbox").
 */
export function workspaceHeaders(host: string | undefined): Record<string, string> {
  const frames = host ? `http://${host.toLowerCase()}/plugin-frame/` : "'none'";
  return {
    ...SECURITY_HEADERS,
    "content-security-policy": `${SECURITY_HEADERS["content-security-policy"]}; frame-src ${frames}`,
  };
}

/**
 * Serves the built UI (embedded in the binary, or `dist/ui` in a checkout). Asset names carry a
 * content hash, so they are cached for good; `index.html` is always revalidated. Any other path
 * that is not a file gets `index.html`, so a reload on a deep link still opens the workspace.
 */
export function uiRoutes(uiDir = resourcePath(RESOURCES.ui)) {
  const index = join(uiDir, "index.html");
  return new Hono<HttpEnv>().get("*", (c) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(new URL(c.req.url).pathname);
    } catch {
      return c.json({ error: "malformed percent-encoding in the path" } satisfies ApiError, 400);
    }
    if (!existsSync(index)) {
      return c.text("The weft UI is not built. Run `bun run build:ui` (or `npm start`, which does it).", 503);
    }
    const rel = normalize(decoded).replace(/^(\.\.[/\\])+/, "");
    const file = join(uiDir, rel);
    const isAsset = file.startsWith(uiDir) && rel !== "/" && existsSync(file) && statSync(file).isFile();
    const body = Bun.file(isAsset ? file : index);
    return new Response(body, {
      headers: {
        ...workspaceHeaders(c.req.header("host")),
        "content-type": body.type,
        "cache-control":
          isAsset && /-[a-z0-9]{8,}\./.test(rel) ? "public, max-age=31536000, immutable" : "no-cache",
      },
    });
  });
}
