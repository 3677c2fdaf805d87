import { afterAll } from "bun:test";
import { removeTempDirs, tempDir } from "./helpers/temp-dir.ts";

// Every test file gets its own data dir, and the platform default points into a temp folder too,
// so no test can touch the real weft data of the machine running it. It goes when the run ends.
const root = tempDir("weft-test-");
process.env.WEFT_DATA_DIR = `${root}/data`;
process.env.XDG_DATA_HOME = `${root}/xdg`;
process.env.HOME = `${root}/home`;

// Registered in the preload, so it runs once, after the last test of the run.
afterAll(removeTempDirs);
