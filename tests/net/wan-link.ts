import { existsSync } from "node:fs";
import { join } from "node:path";
import { addNamespace, freshTag, removeNamespace, sh, shIn, spawnIn } from "./netns.ts";

/** Delay and loss on a router's WAN egress, as `tc qdisc ... netem delay X loss Y%` gives them. */
export interface Impairment {
  delayMs: number;
  lossPct: number;
}

const PYTHON = "/usr/bin/python3";
let netemKnown: boolean | undefined;

/** Whether this kernel has netem (some are built without `sch_netem`); asked once, in a scratch namespace. */
export function kernelHasNetem(): boolean {
  if (netemKnown !== undefined) return netemKnown;
  const ns = `${freshTag()}-probe`;
  addNamespace(ns);
  try {
    shIn(ns, ["tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"]);
    netemKnown = true;
  } catch {
    netemKnown = false;
  } finally {
    removeNamespace(ns);
  }
  return netemKnown;
}

/**
 * Links `router`'s `wan` to `port` in the internet namespace `inet` (the caller puts `port` on the
 * bridge), with `impairment` on what the router sends if given: netem on `wan` where the kernel has
 * it, else a delay line between two TAP devices. Says which it used.
 */
export async function linkWan(
  inet: string,
  router: string,
  port: string,
  impairment?: Impairment,
): Promise<"netem" | "delay-line" | undefined> {
  if (impairment && !kernelHasNetem()) {
    await delayLineWan(inet, router, port, impairment);
    return "delay-line";
  }
  sh(["ip", "link", "add", "wan", "netns", router, "type", "veth", "peer", "name", port, "netns", inet]);
  if (!impairment) return undefined;
  const { delayMs, lossPct } = impairment;
  const netem = ["netem", "delay", `${delayMs}ms`, "loss", `${lossPct}%`];
  shIn(router, ["tc", "qdisc", "add", "dev", "wan", "root", ...netem]);
  return "netem";
}

/**
 * A WAN with delay and loss on a kernel without netem: `delay-line.py`, run in the internet
 * namespace, makes two TAP devices and copies frames between them, delaying and dropping what the
 * router sends. One TAP moves into the router as its `wan`; the other is `port`. The delay line
 * ends with the internet namespace, and both TAP devices with it.
 */
async function delayLineWan(inet: string, router: string, port: string, wan: Impairment): Promise<void> {
  if (!existsSync(PYTHON))
    throw new Error("this kernel has no netem, and its stand-in needs python3: apt-get install -y python3");
  const script = join(import.meta.dir, "delay-line.py");
  const inner = `t${port}`;
  const args = [inner, port, String(wan.delayMs), String(wan.lossPct)];
  const proc = spawnIn(inet, [PYTHON, script, ...args]);
  const reader = proc.stdout.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  if (!new TextDecoder().decode(value).startsWith("ready")) {
    throw new Error(`the delay line did not start: ${await new Response(proc.stderr).text()}`);
  }
  shIn(inet, ["ip", "link", "set", inner, "netns", router]);
  shIn(router, ["ip", "link", "set", inner, "name", "wan"]);
}
