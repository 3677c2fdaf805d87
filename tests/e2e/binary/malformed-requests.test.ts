import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { apiError } from "../../../protocol/rest.ts";
import { lonelyBinary, type RunningBinary, startBinary } from "../../helpers/binary.ts";
import { leakedDetails, type RawResponse, rawHttp, rawRequestText } from "../../helpers/raw-http.ts";

/**
 * The compiled binary answers hostile requests the way a server on the internet must: a short
 * 4xx saying what was wrong, and never a page with a stack, a path or bundled source.
 */
let dir: string;
let node: RunningBinary;
beforeAll(async () => {
  const copy = lonelyBinary();
  dir = copy.dir;
  node = await startBinary(
    copy.bin,
    ["--data-dir", "./data", "--port", "0", "--host", "127.0.0.1", "--no-open"],
    dir,
  );
});
afterAll(async () => {
  if (node.proc.exitCode === null) await node.signal("SIGKILL");
});

const host = () => `localhost:${node.port}`;
const answers: RawResponse[] = [];
async function send(head: string, parts: string[] = []): Promise<RawResponse> {
  const res = await rawHttp(node.port, head, parts);
  answers.push(res);
  return res;
}
const post = (path: string, type: string, body: string) =>
  send(
    rawRequestText("POST", path, host(), [
      `Origin: http://localhost:${node.port}`,
      `Content-Type: ${type}`,
      `Content-Length: ${Buffer.byteLength(body)}`,
    ]),
    [body],
  );

describe("the compiled binary facing malformed requests", () => {
  test("a malformed Host is a 400 saying so, on the UI, the API and health", async () => {
    for (const bad of ["x@y", "a, b", "ex%41mple", "localhost:999999"]) {
      for (const path of ["/", "/api/health", "/api/network/identity"]) {
        const res = await send(rawRequestText("GET", path, bad));
        expect(`${bad} ${path} ${res.status}`).toBe(`${bad} ${path} 400`);
        expect(apiError.parse(JSON.parse(res.body)).error).toBe("malformed Host header");
      }
    }
  });

  test("bad percent-encoding in a UI path is a 400", async () => {
    for (const path of ["/%", "/%zz", "/assets/%ff"]) {
      const res = await send(rawRequestText("GET", path, host()));
      expect(`${path} ${res.status}`).toBe(`${path} 400`);
    }
  });

  test("invite, pair and connect answer malformed JSON with 400, another type with 415", async () => {
    for (const path of ["/api/network/invite", "/api/network/pair", "/api/network/connect"]) {
      const malformed = await post(path, "application/json", '{"invite": "weft1.');
      expect(`${path} ${malformed.status}`).toBe(`${path} 400`);
      expect(apiError.parse(JSON.parse(malformed.body)).error).toStartWith("body is not valid JSON");
      const plain = await post(path, "text/plain", '{"address":"ws://127.0.0.1:1/peer-ws"}');
      expect(`${path} ${plain.status}`).toBe(`${path} 415`);
    }
  });

  test("a 10 MB body is 413 before it is sent", async () => {
    const res = await send(
      rawRequestText("POST", "/api/network/invite", host(), [
        `Origin: http://localhost:${node.port}`,
        "Content-Type: application/json",
        `Content-Length: ${10 * 1024 * 1024}`,
      ]),
      ["{"],
    );
    expect(res.status).toBe(413);
  });

  test("no answer carried a stack, a path, or bundled source, and the node is still up", async () => {
    // Sent again here so this check stands on its own, whatever the tests above got to send.
    for (const bad of ["x@y", "a, b"]) await send(rawRequestText("GET", "/api/health", bad));
    for (const path of ["/%", "/assets/%ff"]) await send(rawRequestText("GET", path, host()));
    await post("/api/network/pair", "application/json", "{");
    expect(answers.length).toBeGreaterThanOrEqual(5);
    expect(answers.flatMap((res) => leakedDetails(res, [dir, process.cwd()]))).toEqual([]);
    expect(answers.filter((res) => res.status >= 500).map((res) => res.status)).toEqual([]);
    const health = await fetch(`${node.url}api/health`);
    expect(health.status).toBe(200);
  });
});
