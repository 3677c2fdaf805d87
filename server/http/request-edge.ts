import type { ApiError } from "../../protocol/rest.ts";
import type { Logger } from "../log.ts";

/**
 * What every request passes before any route sees it, and what every failure looks like. The
 * node's listener faces the internet, so an answer never carries more than a short reason: no
 * stack, no path, no source.
 */

/** A DNS name, an IPv4 address or a bracketed IPv6 address, then an optional port. */
// Labels are split by single dots so the pattern cannot backtrack on a long hostile header.
const HOST_HEADER = /^(?:[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?|\[[0-9a-f:.]{2,45}\])(?::(\d{1,5}))?$/i;

/** Whether a `Host` header is one a real client could have sent (RFC 9110 §7.2, without userinfo). */
export function isWellFormedHost(host: string): boolean {
  if (host.length > 255) return false;
  const match = HOST_HEADER.exec(host);
  if (!match) return false;
  const port = match[1];
  return port === undefined || Number(port) <= 65535;
}

/**
 * The reason a request cannot be served at all (a malformed `Host`, a URL that does not parse),
 * or undefined when it may go on to the routes.
 */
export function malformedRequest(url: string, host: string | null): string | undefined {
  if (host !== null && !isWellFormedHost(host)) return "malformed Host header";
  if (!URL.canParse(url)) return "malformed request URL";
  return undefined;
}

/** A JSON `{ error }` answer with the security headers a bare error page would lack. */
export function errorResponse(status: number, error: string): Response {
  return Response.json({ error } satisfies ApiError, {
    status,
    headers: { "cache-control": "no-store", "x-content-type-options": "nosniff" },
  });
}

/**
 * The one answer to an unexpected failure: a short 500 naming a request id, and one error line in
 * the log with the same id, so the user can find what went wrong without the client learning it.
 */
export function internalError(err: unknown, log: Logger, where: { method?: string; path?: string } = {}) {
  const requestId = crypto.randomUUID().slice(0, 8);
  log.error("request failed", {
    request_id: requestId,
    ...where,
    error: err instanceof Error ? err.message : String(err),
  });
  if (err instanceof Error && err.stack)
    log.debug("request failure stack", { request_id: requestId, stack: err.stack });
  return Response.json(
    { error: "internal error", request_id: requestId },
    { status: 500, headers: { "cache-control": "no-store", "x-content-type-options": "nosniff" } },
  );
}

/**
 * A warning that anyone can provoke (a stranger knocking on the UI, a page on another origin)
 * is written at most once per `intervalMs`; the next line says how many were left out, so a
 * flood costs a few log lines a minute instead of one per request.
 */
export function throttledWarn(log: Logger, intervalMs = 10_000) {
  let lastAt = Number.NEGATIVE_INFINITY;
  let leftOut = 0;
  return (message: string, fields: Record<string, unknown>): void => {
    const now = performance.now();
    if (now - lastAt < intervalMs) {
      leftOut++;
      return;
    }
    lastAt = now;
    log.warn(message, leftOut > 0 ? { ...fields, similar_left_out: leftOut } : fields);
    leftOut = 0;
  };
}
