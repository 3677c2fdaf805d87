/**
 * What a plugin's frame may load, and the page it starts from (docs/architecture.md, "Plugins
 * in a sandbox"). The frame is an opaque origin (`sandbox allow-scripts` without
 * `allow-same-origin`), so `'self'` names nothing; every source is spelled out with the host the
 * workspace was reached at, which the local guard has already checked to be this node on loopback.
 * The frame may run the frame script and its own files, and nothing may leave it but postMessage:
 * no fetch, socket, form, nested frame or worker.
 */

/** Where the frame's reports go, relative to the frame page. */
export const cspReportPath = (id: string) => `/plugin-frame/${id}/csp-report`;

/**
 * The policy of a plugin's frame page and of every file of that plugin (so an HTML file in its
 * folder, opened on its own, is as sandboxed and as cut off as the frame). `host` is the
 * request's `Host`, lowercased; `id` is a checked pane id.
 */
export function sandboxPolicy(host: string, id: string): string {
  const origin = `http://${host}`;
  const own = `${origin}/plugins/${id}/`;
  return [
    "sandbox allow-scripts",
    "default-src 'none'",
    `script-src ${origin}/plugin-frame.js ${own}`,
    `style-src 'unsafe-inline' ${own}`,
    `img-src data: blob: ${own}`,
    `font-src ${own}`,
    "media-src 'none'",
    "connect-src 'none'",
    "frame-src 'none'",
    "child-src 'none'",
    "worker-src 'none'",
    "manifest-src 'none'",
    "object-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
    `frame-ancestors ${origin}`,
    `report-uri ${cspReportPath(id)}`,
  ].join("; ");
}

/** Headers of the frame page besides its policy: never cached, never sniffed, no referrer. */
export const FRAME_HEADERS = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
} as const;

/** Text made safe for HTML content and for a double-quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/**
 * The frame page: a title, the frame script (`/plugin-frame.js`, part of the UI build), which
 * imports the plugin's entry named in `data-entry`, and the element it mounts into. The entry is
 * a full URL on `host`: in an opaque-origin document the frame script is a cross-origin classic
 * script, whose `import()` resolves against `about:blank`, so a path alone names nothing. `entry`
 * is the checked relative path of the manifest; each segment is URL-encoded, so a `#` or `?` in a
 * file name names that file.
 */
export function framePage(host: string, plugin: { id: string; name: string; entry: string }): string {
  const path = plugin.entry.split("/").map(encodeURIComponent).join("/");
  const entry = `http://${host}/plugins/${plugin.id}/${path}`;
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(plugin.name)}</title>\n` +
    `<script src="/plugin-frame.js" data-entry="${escapeHtml(entry)}"></script></head>\n` +
    `<body><div id="weft-plugin-root"></div></body></html>`
  );
}
