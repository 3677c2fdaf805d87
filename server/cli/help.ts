import { FLAGS } from "./args.ts";

/** The text of `weft --help`, built from the flag table so the two never disagree. */
export function helpText(version: string): string {
  const rows = Object.entries(FLAGS).map(([name, f]) => {
    const left = `  --${name}${"arg" in f ? ` ${f.arg}` : ""}`;
    const env = f.env ? `  [${f.env}]` : "";
    return `${left.padEnd(22)} ${f.help}${env}`;
  });
  return [
    `weft ${version} — a personal dashboard with a peer fabric`,
    "",
    "Usage:",
    "  weft [--port N] [--host ADDR] [--data-dir DIR] [--name NAME] [--no-open] [--log-level L]",
    "  weft --lobby [--port N] [--host ADDR] [--data-dir DIR] [--redis-url URL]",
    "  weft --help | --version",
    "",
    "Options (each has the WEFT_* environment twin shown in brackets):",
    ...rows,
    "",
    "With no arguments weft starts a node on port 7420 (the next free port if taken) and opens",
    "your browser on it. Only this machine may reach the UI; other weft nodes reach /peer-ws.",
    "",
  ].join("\n");
}
