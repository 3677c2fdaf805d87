import { z } from "zod";
import type { PluginViolation } from "../../protocol/plugin.ts";
import { readAtMost } from "../http/body-guard.ts";

/** A report larger than this is refused unread; a real one is well under 2 KiB. */
export const MAX_REPORT_BYTES = 8 * 1024;

/** What browsers send to `report-uri`; Firefox and Chrome say `application/csp-report`. */
const REPORT_MEDIA_TYPE = /^application\/(csp-report|json)\s*(;|$)/i;

/**
 * The report's body (CSP level 2's `report-uri` format). Only what a `PluginViolation` needs is
 * read; other fields (`document-uri`, `original-policy`, samples) are allowed and dropped.
 */
const cspReportBody = z.object({
  "csp-report": z
    .object({
      "effective-directive": z.string().min(1).max(100).optional(),
      /** Older browsers name the whole directive, sources and all; its first word is the name. */
      "violated-directive": z.string().min(1).max(4000).optional(),
      "blocked-uri": z.string().max(4000),
    })
    .refine((r) => r["effective-directive"] ?? r["violated-directive"], "names no directive"),
});

/** How long a blocked URL may be in what is kept and logged. */
const MAX_BLOCKED_CHARS = 300;

export type ReportRead =
  | { ok: true; violation: Omit<PluginViolation, "at"> }
  | { ok: false; status: 400 | 413 | 415; error: string };

/**
 * Reads a CSP report from `request`: its declared length first (a larger one is never read),
 * then its body up to {@link MAX_REPORT_BYTES}, then its type, its JSON and its shape. The JSON
 * body guard of the rest of the node does not take this route (server/http/app.ts): a report is
 * not `application/json`, and it has a smaller limit of its own.
 */
export async function readCspReport(request: Request): Promise<ReportRead> {
  const tooLarge = {
    ok: false,
    status: 413,
    error: `a CSP report is at most ${MAX_REPORT_BYTES} bytes`,
  } as const;
  const declared = request.headers.get("content-length");
  if (declared !== null) {
    if (!/^\d{1,16}$/.test(declared.trim())) return bad("malformed Content-Length header");
    if (Number(declared) > MAX_REPORT_BYTES) return tooLarge;
  }
  const type = request.headers.get("content-type") ?? "";
  if (!REPORT_MEDIA_TYPE.test(type)) {
    const got = type ? `"${type.slice(0, 100)}"` : "untyped";
    return { ok: false, status: 415, error: `a CSP report must be application/csp-report, not ${got}` };
  }
  const bytes = request.body ? await readAtMost(request.body, MAX_REPORT_BYTES) : new Uint8Array();
  if (bytes === "too large") return tooLarge;
  if (bytes === "unreadable") return bad("the body could not be read");
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return bad("not a CSP report: the body is not JSON");
  }
  const parsed = cspReportBody.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.map(String).join(".");
    return bad(`not a CSP report: ${where ? `${where}: ` : ""}${issue?.message ?? "unexpected shape"}`);
  }
  const report = parsed.data["csp-report"];
  const directive =
    (report["effective-directive"] ?? report["violated-directive"] ?? "").split(/\s+/)[0] ?? "";
  const blocked = report["blocked-uri"];
  return {
    ok: true,
    violation: {
      directive: directive.slice(0, 100),
      blocked: blocked.length > MAX_BLOCKED_CHARS ? `${blocked.slice(0, MAX_BLOCKED_CHARS)}…` : blocked,
    },
  };
}

function bad(error: string): ReportRead {
  return { ok: false, status: 400, error };
}
