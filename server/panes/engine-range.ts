/**
 * Checks a `pane.json` `engine` range against this weft's version. `Bun.semver.satisfies` alone is
 * not enough: it answers true for text that is no range at all ("latest", "abc def"), so a typo
 * would load a pane against any version. The range is first checked against the npm range grammar.
 */

const PART = String.raw`(?:0|[1-9]\d*|[xX*])`;
const PRE = String.raw`(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?`;
const PARTIAL = String.raw`v?${PART}(?:\.${PART}){0,2}${PRE}`;
const COMPARATOR = new RegExp(String.raw`^(?:<=|>=|<|>|=|~>?|\^)?${PARTIAL}$`);
const HYPHEN = new RegExp(String.raw`^(${PARTIAL})\s+-\s+(${PARTIAL})$`);

/** True when `range` is a well-formed semver range such as `>=0.1.0 <1`, `^0.1` or `1.x || 2.x`. */
export function isSemverRange(range: string): boolean {
  const sets = range.split("||").map((s) => s.trim());
  return sets.every((set) => {
    if (set === "") return false;
    if (HYPHEN.test(set)) return true;
    // ">= 1.0" is the same comparator as ">=1.0"; join the operator to its version first.
    const tokens = set.replace(/(<=|>=|<|>|=|~>?|\^)\s+/g, "$1").split(/\s+/);
    return tokens.every((t) => COMPARATOR.test(t));
  });
}

/** Why this weft cannot run a pane declaring `engine`, or undefined when it can. */
export function engineProblem(engine: string, version: string): string | undefined {
  if (!isSemverRange(engine)) {
    return `engine "${engine}" is not a semver range (e.g. ">=0.1.0 <1")`;
  }
  if (!Bun.semver.satisfies(version, engine)) {
    return `needs weft ${engine}, but this is weft ${version}`;
  }
  return undefined;
}
