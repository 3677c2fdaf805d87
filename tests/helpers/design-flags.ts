/**
 * The flags DESIGN section 2 promises, spelled out by hand on purpose: deriving them from the
 * parser's own table would let a dropped flag pass unnoticed.
 */
export const DESIGN_FLAGS = [
  "--port",
  "--host",
  "--data-dir",
  "--name",
  "--no-open",
  "--log-level",
  "--lobby",
  "--redis-url",
  "--help",
  "--version",
];
