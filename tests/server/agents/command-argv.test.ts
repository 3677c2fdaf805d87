import { describe, expect, test } from "bun:test";
import { CommandLineError, parseCommandLine } from "../../../server/agents/command-argv.ts";

describe("agent.command as an argv", () => {
  test("splits on whitespace and honours quotes and backslashes, with no expansion of any kind", () => {
    expect(parseCommandLine("llm  -m gpt-4o\t--no-stream")).toEqual(["llm", "-m", "gpt-4o", "--no-stream"]);
    expect(parseCommandLine(`/opt/my agent/run 'a b' "c \\"d\\" \\\\ e" f\\ g ''`)).toEqual([
      "/opt/my",
      "agent/run",
      "a b",
      'c "d" \\ e',
      "f g",
      "",
    ]);
    expect(parseCommandLine("echo $HOME ~ * `id` ; rm")).toEqual([
      "echo",
      "$HOME",
      "~",
      "*",
      "`id`",
      ";",
      "rm",
    ]);
    expect(parseCommandLine(`'/opt/my agent/run' x`)).toEqual(["/opt/my agent/run", "x"]);
  });

  test("a blank line, an unclosed quote, a trailing backslash or a relative program is refused with a reason", () => {
    expect(() => parseCommandLine("   ")).toThrow(new CommandLineError("the command is blank"));
    expect(() => parseCommandLine("llm 'x")).toThrow("the command has an unclosed ' quote");
    expect(() => parseCommandLine('llm "x')).toThrow('the command has an unclosed " quote');
    expect(() => parseCommandLine("llm x\\")).toThrow("the command ends in a lone backslash");
    expect(() => parseCommandLine("bin/agent")).toThrow("absolute path or a name found on PATH");
  });
});
