/**
 * Registers the panes built into weft with the shell. Each import runs that pane's `definePane`;
 * the order here is the order the palette lists them in.
 */
import "./welcome/index.ts";
import "./about/index.ts";
import "./peers/index.ts";
import "./lobby/index.ts";
import "./monitor/index.ts";
import "./chat/index.ts";
import "./agent/index.ts";
import "./scratch/index.ts";
import "./settings/index.ts";
