/**
 * The local surface rule (docs/architecture.md): only this machine reaches the UI, `/api` and
 * `/ws`; other weft nodes reach `/peer-ws`, and anyone may ask `/api/health`. A pure function so
 * the hono middleware and the WebSocket upgrade path apply the very same rule.
 */
export interface LocalRequest {
  path: string;
  method: string;
  remoteAddress: string | undefined;
  host: string | null;
  origin: string | null;
  port: number;
  isUpgrade: boolean;
}

export type GuardVerdict = { ok: true } | { ok: false; reason: string };

/** Paths other machines may reach. */
const OPEN_PATHS = new Set(["/peer-ws", "/api/health"]);
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.toLowerCase();
  if (a === "::1" || a === "0:0:0:0:0:0:0:1") return true;
  const v4 = a.startsWith("::ffff:") ? a.slice(7) : a;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/** Host header values that name this node on loopback; anything else may be a DNS-rebinding page. */
export function localHosts(port: number): string[] {
  const names = ["localhost", "127.0.0.1", "[::1]"];
  const withPort = names.map((n) => `${n}:${port}`);
  return port === 80 ? [...withPort, ...names] : withPort;
}

export function checkLocalRequest(req: LocalRequest): GuardVerdict {
  if (OPEN_PATHS.has(req.path)) return { ok: true };
  if (!isLoopbackAddress(req.remoteAddress)) {
    return { ok: false, reason: "only this machine may use this weft's UI and API" };
  }
  const hosts = localHosts(req.port);
  const host = req.host?.toLowerCase() ?? "";
  if (!hosts.includes(host)) return { ok: false, reason: `unexpected Host "${req.host ?? ""}"` };
  const changesState = req.path.startsWith("/api/") && !SAFE_METHODS.has(req.method.toUpperCase());
  if (changesState || req.isUpgrade) {
    if (!req.origin) return { ok: false, reason: "missing Origin header" };
    if (!hosts.some((h) => req.origin === `http://${h}`)) {
      return { ok: false, reason: `cross-origin request from ${req.origin} refused` };
    }
  }
  return { ok: true };
}
