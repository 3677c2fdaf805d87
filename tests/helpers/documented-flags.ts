/**
 * The flags the README documents, spelled out by hand on purpose: deriving them from the
 * parser's own table would let a dropped flag pass unnoticed.
 */
export const DOCUMENTED_FLAGS = [
  "--port",
  "--host",
  "--data-dir",
  "--name",
  "--no-open",
  "--log-level",
  "--lobby",
  "--limit",
  "--redis-url",
  "--stun-port",
  "--help",
  "--version",
];
