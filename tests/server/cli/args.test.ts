import { describe, expect, test } from "bun:test";
import { DEFAULT_LOBBY_PORT, DEFAULT_NODE_PORT, parseCli } from "../../../server/cli/args.ts";
import { helpText } from "../../../server/cli/help.ts";
import { StartupError } from "../../../server/errors.ts";
import { DOCUMENTED_FLAGS } from "../../helpers/documented-flags.ts";

const parse = (argv: string[], env: Record<string, string> = {}, interactive = true) =>
  parseCli(argv, env, interactive);

function refusal(argv: string[], env: Record<string, string> = {}): string {
  try {
    parse(argv, env);
  } catch (err) {
    expect(err).toBeInstanceOf(StartupError);
    return (err as Error).message;
  }
  throw new Error(`expected ${argv.join(" ")} to be refused`);
}

describe("weft command line", () => {
  test("no arguments start a node on 7420 on all interfaces that opens a browser", () => {
    const cmd = parse([]);
    expect(cmd).toEqual({
      kind: "node",
      options: {
        port: DEFAULT_NODE_PORT,
        portExplicit: false,
        host: "::",
        dataDir: undefined,
        name: undefined,
        open: true,
        logLevel: "info",
      },
    });
  });

  test("a non-interactive start or --no-open does not open a browser", () => {
    expect(parse([], {}, false)).toMatchObject({ options: { open: false } });
    expect(parse(["--no-open"])).toMatchObject({ options: { open: false } });
    expect(parse([], { WEFT_NO_OPEN: "1" })).toMatchObject({ options: { open: false } });
  });

  test("every flag is read and marks the port as chosen", () => {
    const cmd = parse([
      "--port",
      "8000",
      "--host",
      "127.0.0.1",
      "--data-dir",
      "/x",
      "--name",
      " Ada ",
      "--log-level",
      "debug",
    ]);
    expect(cmd).toMatchObject({
      kind: "node",
      options: {
        port: 8000,
        portExplicit: true,
        host: "127.0.0.1",
        dataDir: "/x",
        name: "Ada",
        logLevel: "debug",
      },
    });
  });

  test("each flag has a WEFT_* twin, and the flag wins over it", () => {
    const env = {
      WEFT_PORT: "9001",
      WEFT_HOST: "127.0.0.2",
      WEFT_DATA_DIR: "/d",
      WEFT_NAME: "n",
      WEFT_LOG_LEVEL: "warn",
    };
    expect(parse([], env)).toMatchObject({
      options: {
        port: 9001,
        portExplicit: true,
        host: "127.0.0.2",
        dataDir: "/d",
        name: "n",
        logLevel: "warn",
      },
    });
    expect(parse(["--port", "9002"], env)).toMatchObject({ options: { port: 9002 } });
  });

  test("--lobby defaults to port 7400 and accepts a redis url", () => {
    expect(parse(["--lobby"])).toMatchObject({ kind: "lobby", options: { port: DEFAULT_LOBBY_PORT } });
    expect(parse(["--lobby", "--redis-url", "redis://127.0.0.1:6379"])).toMatchObject({
      kind: "lobby",
      options: { redisUrl: "redis://127.0.0.1:6379" },
    });
    expect(parse([], { WEFT_LOBBY: "true" })).toMatchObject({ kind: "lobby" });
  });

  test("--lobby answers STUN on its own port number unless --stun-port names another or off", () => {
    expect(parse(["--lobby"])).toMatchObject({ options: { stunPort: undefined } });
    expect(parse(["--lobby", "--stun-port", "3478"])).toMatchObject({ options: { stunPort: 3478 } });
    expect(parse(["--lobby", "--stun-port", "off"])).toMatchObject({ options: { stunPort: null } });
    expect(parse(["--lobby"], { WEFT_STUN_PORT: "off" })).toMatchObject({ options: { stunPort: null } });
    expect(refusal(["--lobby", "--stun-port", "0"])).toBe(
      '--stun-port must be a port number from 1 to 65535, or off, got "0"',
    );
    expect(refusal(["--lobby", "--stun-port", "no"])).toContain("or off");
    expect(refusal(["--stun-port", "3478"])).toContain("only for --lobby");
  });

  test("--help and --version win over everything else", () => {
    expect(parse(["--port", "1", "--help"])).toEqual({ kind: "help" });
    expect(parse(["--version"])).toEqual({ kind: "version" });
  });

  test("bad input is refused with one line that names the problem", () => {
    expect(refusal(["--bogus"])).toContain("--bogus");
    expect(refusal(["--port", "http"])).toContain("--port must be a port number");
    expect(refusal(["--port", "70000"])).toContain("65535");
    expect(refusal([], { WEFT_PORT: "-1" })).toContain("WEFT_PORT");
    expect(refusal(["--log-level", "loud"])).toContain("error, warn, info, debug");
    expect(refusal(["stray"])).toContain("stray");
    expect(refusal(["--redis-url", "redis://x"])).toContain("only for --lobby");
    expect(refusal(["--lobby", "--name", "x"])).toContain("only for a node");
    expect(refusal(["--lobby", "--redis-url", "http://x"])).toContain("redis://");
    // A password in a refused URL is never echoed.
    const secret = refusal(["--lobby", "--redis-url", "http://user:hunter2@redis.example:6379"]);
    expect(secret).toContain("…@redis.example:6379");
    expect(secret).not.toContain("hunter2");
    expect(refusal(["--lobby"], { WEFT_REDIS_URL: "not a url :hunter2@x" })).not.toContain("hunter2");
    expect(refusal(["--name", "   "])).toContain("--name");
    expect(refusal([], { WEFT_NO_OPEN: "maybe" })).toContain("WEFT_NO_OPEN");
    for (const message of [refusal(["--bogus"]), refusal(["--port", "x"])])
      expect(message).not.toContain("\n");
  });

  test("the help lists every flag with its environment twin", () => {
    const help = helpText("1.2.3");
    for (const flag of DOCUMENTED_FLAGS) {
      expect(help).toContain(flag);
    }
    expect(help).toContain("WEFT_DATA_DIR");
    expect(help).toContain("weft 1.2.3");
  });
});
