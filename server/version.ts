import pkg from "../package.json" with { type: "json" };

/** The weft release this binary is; reported by `--version` and `/api/health`. */
export const WEFT_VERSION: string = pkg.version;
