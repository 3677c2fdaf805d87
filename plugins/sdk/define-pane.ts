import type { Component } from "svelte";
import { type PaneManifest, paneManifest } from "../../protocol/pane.ts";
import type { PaneHost } from "./host.ts";

/** What the host passes to every pane component. */
export interface PaneProps {
  /** Unique per open tab; two tabs of an `instance`-room pane get different ids. */
  instanceId: string;
}

/** A pane as registered: its validated manifest plus the Svelte component that renders it. */
export type PaneDefinition = PaneManifest & {
  component: Component<PaneProps>;
  /**
   * Runs once when the shell starts, before any pane mounts and whether or not this one is ever
   * opened, for work that outlives the pane's tabs: keeping a badge count (`host.setBadge`),
   * announcing news. A throw here is logged and leaves the rest of the shell running.
   */
  start?: (host: PaneHost) => void;
};

const registry = new Map<string, PaneDefinition>();

/**
 * Registers a pane with the host. The manifest part is validated with the same schema the server
 * applies, so a pane that would be refused there fails here at load time too. Throws on a bad
 * manifest or an id that is already taken.
 */
export function definePane(definition: PaneDefinition): PaneDefinition {
  const { component, start, ...manifest } = definition;
  const parsed = paneManifest.safeParse(manifest);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
    throw new Error(
      `pane "${String(manifest.id)}" has a bad manifest: ${where}${issue?.message ?? "invalid"}`,
    );
  }
  if (registry.has(parsed.data.id)) throw new Error(`pane "${parsed.data.id}" is defined twice`);
  const registered: PaneDefinition = { ...parsed.data, component, ...(start ? { start } : {}) };
  registry.set(registered.id, registered);
  return registered;
}

/** Every registered pane, in registration order (hidden ones included). */
export function listPanes(): PaneDefinition[] {
  return [...registry.values()];
}

/** Runs every registered pane's `start` with the shell's host; the shell calls it once at boot. */
export function startPanes(host: PaneHost): void {
  for (const pane of registry.values()) {
    try {
      pane.start?.(host);
    } catch (error) {
      console.error(`pane "${pane.id}" failed to start`, error);
    }
  }
}

/** The registered pane with this id, if any. */
export function getPane(id: string): PaneDefinition | undefined {
  return registry.get(id);
}
