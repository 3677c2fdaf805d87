/** An `agent.command` that cannot be run, with a sentence saying why. */
export class CommandLineError extends Error {
  override readonly name = "CommandLineError";
}

/**
 * Splits a command line into an argv the way a person expects from a shell, and no further:
 * words split on whitespace, `'…'` taken literally, `"…"` with `\"` and `\\` escapes, a
 * backslash outside quotes escaping the next character. No variables, globs, pipes or `~`:
 * the program is started directly, never through a shell, so nothing in the line is run but it.
 */
export function parseCommandLine(line: string): string[] {
  const argv: string[] = [];
  // Undefined between words; a string (maybe empty, for `''`) inside one.
  let word: string | undefined;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word = `${word ?? ""}${c}`;
    } else if (quote === '"') {
      const next = line[i + 1];
      if (c === '"') quote = undefined;
      else if (c === "\\" && (next === '"' || next === "\\")) {
        word = `${word ?? ""}${next}`;
        i++;
      } else word = `${word ?? ""}${c}`;
    } else if (/\s/.test(c)) {
      if (word !== undefined) argv.push(word);
      word = undefined;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= "";
    } else if (c === "\\") {
      if (i + 1 >= line.length) throw new CommandLineError("the command ends in a lone backslash");
      word = `${word ?? ""}${line[i + 1]}`;
      i++;
    } else {
      word = (word ?? "") + c;
    }
  }
  if (quote) throw new CommandLineError(`the command has an unclosed ${quote} quote`);
  if (word !== undefined) argv.push(word);
  const program = argv[0];
  if (program === undefined) throw new CommandLineError("the command is blank");
  // The program runs in a fresh empty folder, so a relative path would name nothing there.
  if (program.includes("/") && !program.startsWith("/")) {
    throw new CommandLineError("the program must be an absolute path or a name found on PATH");
  }
  return argv;
}
