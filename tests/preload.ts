import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Every test file gets its own data dir, and the platform default points into a temp folder too,
// so no test can touch the real weft data of the machine running it.
const root = mkdtempSync(join(tmpdir(), "weft-test-"));
process.env.WEFT_DATA_DIR = join(root, "data");
process.env.XDG_DATA_HOME = join(root, "xdg");
process.env.HOME = join(root, "home");
