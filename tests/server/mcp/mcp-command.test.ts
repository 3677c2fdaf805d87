import { describe, expect, test } from "bun:test";
import { parseCli } from "../../../server/cli/args.ts";
import { helpText } from "../../../server/cli/help.ts";
import { StartupError } from "../../../server/errors.ts";

const parse = (argv: string[], env: Record<string, string> = {}) => parseCli(argv, env, false);

describe("the weft mcp command", () => {
  test("takes a data dir from --data-dir, else WEFT_DATA_DIR, else leaves it to the default", () => {
    expect(parse(["mcp"])).toEqual({ kind: "mcp", options: { dataDir: undefined } });
    expect(parse(["mcp", "--data-dir", "/x"])).toEqual({ kind: "mcp", options: { dataDir: "/x" } });
    expect(parse(["mcp"], { WEFT_DATA_DIR: "/from-env" })).toEqual({
      kind: "mcp",
      options: { dataDir: "/from-env" },
    });
    expect(parse(["mcp", "--data-dir", "/flag"], { WEFT_DATA_DIR: "/env" })).toMatchObject({
      options: { dataDir: "/flag" },
    });
  });

  test("refuses the node's other flags and stray words with a reason", () => {
    for (const argv of [
      ["mcp", "--port", "1"],
      ["mcp", "extra"],
      ["mcp", "--data-dir", " "],
    ]) {
      let message = "";
      try {
        parse(argv);
      } catch (err) {
        expect(err).toBeInstanceOf(StartupError);
        message = (err as Error).message;
      }
      expect(message).not.toBe("");
    }
    expect(() => parse(["mcp", "--port", "1"])).toThrow("--data-dir DIR only");
  });

  test("is in the help", () => {
    expect(parse(["mcp", "--help"])).toEqual({ kind: "help" });
    expect(helpText("0")).toContain("weft mcp [--data-dir DIR]");
  });
});
