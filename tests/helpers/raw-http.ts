/**
 * HTTP/1.1 over a bare TCP socket, for requests `fetch` would refuse or rewrite (a malformed
 * `Host`, an undecodable path, a body that lies about its length). The request goes out as written;
 * the answer is read until the server closes or has sent a whole response.
 */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Everything the server sent, status line and headers included. */
  raw: string;
}

/** A GET (or any bodiless request) to `path` with exactly the `Host` given. */
export function rawRequestText(method: string, path: string, host: string, extra: string[] = []): string {
  return [`${method} ${path} HTTP/1.1`, `Host: ${host}`, ...extra, "Connection: close", "", ""].join("\r\n");
}

/**
 * Sends `head` then each of `parts` and resolves with the parsed answer. The socket stays open
 * after the last part, so a reply that comes before the body is complete is seen as such.
 */
export function rawHttp(
  port: number,
  head: string,
  parts: Array<string | Uint8Array> = [],
  timeoutMs = 5_000,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    let settled = false;
    const finish = (close: () => void) => {
      if (settled) return;
      const parsed = parse(received);
      if (!parsed) return;
      settled = true;
      clearTimeout(timer);
      close();
      resolve(parsed);
    };
    const timer = setTimeout(() => {
      settled = true;
      reject(
        new Error(
          `no complete answer in ${timeoutMs} ms; got ${JSON.stringify(received.toString().slice(0, 200))}`,
        ),
      );
    }, timeoutMs);
    void Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(socket) {
          socket.write(head);
          for (const part of parts) socket.write(part);
        },
        data(socket, chunk) {
          received = Buffer.concat([received, chunk]);
          finish(() => socket.end());
        },
        close() {
          finish(() => {});
          if (!settled) {
            settled = true;
            clearTimeout(timer);
            reject(
              new Error(`closed without a response: ${JSON.stringify(received.toString().slice(0, 200))}`),
            );
          }
        },
        error(_socket, err) {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          reject(err);
        },
      },
    }).catch(reject);
  });
}

/** The response in `bytes` once it is complete (by Content-Length, or a chunked body's end). */
function parse(bytes: Buffer): RawResponse | undefined {
  const split = bytes.indexOf("\r\n\r\n");
  if (split < 0) return undefined;
  const headText = bytes.subarray(0, split).toString("latin1");
  const [statusLine = "", ...lines] = headText.split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = bytes.subarray(split + 4);
  let body: string;
  if (headers["transfer-encoding"]?.toLowerCase() === "chunked") {
    const decoded = dechunk(rest);
    if (decoded === undefined) return undefined;
    body = decoded;
  } else {
    const length = Number(headers["content-length"] ?? 0);
    if (rest.byteLength < length) return undefined;
    body = rest.subarray(0, length).toString("utf8");
  }
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  return { status, headers, body, raw: `${headText}\r\n\r\n${body}` };
}

function dechunk(bytes: Buffer): string | undefined {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = bytes.indexOf("\r\n", at);
    if (eol < 0) return undefined;
    const size = Number.parseInt(bytes.subarray(at, eol).toString("latin1"), 16);
    if (Number.isNaN(size)) return undefined;
    if (size === 0) return Buffer.concat(out).toString("utf8");
    if (bytes.byteLength < eol + 2 + size + 2) return undefined;
    out.push(bytes.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

/** A line of a stack trace (`    at fn (file:1:2)`), as a development error page would show. */
export const STACK_LINE = /^\s+at \S/m;

/**
 * What an answer gives away that no answer of weft may: a stack line, one of `paths` (the
 * working directory, the data dir), installed modules, bundled source, or a page far past any
 * error's size. Empty when it gives away nothing; short, so a failing test prints readably.
 */
export function leakedDetails(res: RawResponse, paths: string[]): string[] {
  const found: string[] = [];
  if (STACK_LINE.test(res.body)) found.push("a stack line");
  for (const path of paths) if (res.body.includes(path)) found.push(`the path ${path}`);
  if (res.body.includes("node_modules")) found.push("node_modules");
  if (res.body.includes("$bunfs")) found.push("a bundled file path");
  if (/\.ts:\d+/.test(res.body)) found.push("a source position");
  if (res.raw.length > 2048) found.push(`${res.raw.length} bytes`);
  return found.map((what) => `${res.status} answer carries ${what}`);
}
