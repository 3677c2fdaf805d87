import type { LobbyHealth } from "../protocol/lobby.ts";

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

function uptime(seconds: number): string {
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3_600);
  const m = Math.floor((s % 3_600) / 60);
  return d > 0 ? `${d} d ${h} h` : h > 0 ? `${h} h ${m} min` : `${m} min ${s % 60} s`;
}

/**
 * `GET /`: what an operator or a curious person may see of a lobby — how many, how long, which
 * version and identity. Never a node's name or address: those are for the nodes themselves.
 */
export function statusPage(h: LobbyHealth): string {
  const rows: Array<[string, string]> = [
    // Degraded: this instance cannot reach the store it shares with the lobby's other instances.
    ["status", h.status === "ok" ? "ok" : "degraded (the shared store cannot be reached)"],
    ["lobby id", h.lobby_id],
    ["instance", h.instance],
    ["version", h.version],
    ["uptime", uptime(h.uptime_s)],
    ["nodes online", String(h.nodes)],
    ["rooms", String(h.rooms)],
    ["STUN", h.stun_port === undefined ? "off" : `UDP port ${h.stun_port}`],
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>weft lobby</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:36em;margin:3em auto;padding:0 1em;color:#222}
th{text-align:left;padding-right:1.5em;font-weight:500;color:#666}td{font-family:ui-monospace,monospace}</style>
</head><body><h1>weft lobby</h1>
<p>A meeting point for weft nodes: presence, rooms, signaling and a relay. Nodes connect to
<code>/lobby-ws</code>; pin this lobby by its id.</p>
<table>${rows.map(([k, v]) => `<tr><th>${k}</th><td>${escapeHtml(v)}</td></tr>`).join("")}</table>
</body></html>
`;
}
