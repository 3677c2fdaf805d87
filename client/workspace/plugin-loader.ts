import type { Component } from "svelte";
import { api } from "../../plugins/sdk/api-client.ts";
import { definePane, getPane, type PaneProps } from "../../plugins/sdk/define-pane.ts";
import type { CollabDecl, PaneListing } from "../../protocol/pane.ts";
import { panesResponse } from "../../protocol/rest.ts";
import PluginMount from "./plugin-mount.svelte";

/** A usable plugin pane as listed by `/api/panes`; its code runs in `/plugin-frame/<id>`. */
export interface PluginInfo {
  id: string;
  title: string;
  version: string;
  collab?: CollabDecl;
}

/**
 * Third-party panes in the shell. The node lists them in `/api/panes` after checking each
 * `pane.json`; the usable ones are registered here like built-in panes, so the palette, the tabs
 * and the saved layout treat them alike, and the refused ones are kept to be shown, disabled,
 * with their reason. No plugin code is loaded until a pane is opened, and then only inside its
 * sandboxed frame (plugin-mount.svelte).
 */

let unavailable: PaneListing[] = [];

/** Plugins the node refused, with `error` saying why; the palette lists them disabled. */
export function unavailablePanes(): readonly PaneListing[] {
  return unavailable;
}

/**
 * Registers the node's plugin panes. Called once at boot before the layout is restored, so a
 * saved layout keeps its plugin tabs. Resolves even when the list cannot be fetched: the shell
 * then runs with its built-in panes only.
 */
export async function registerPluginPanes(): Promise<void> {
  let panes: PaneListing[];
  try {
    panes = (await api.get("/api/panes", panesResponse)).panes;
  } catch (error) {
    console.warn("third-party panes are unavailable:", error);
    return;
  }
  const refused: PaneListing[] = [];
  for (const listing of panes) {
    if (listing.source !== "plugin") continue;
    if (listing.error !== undefined || listing.entry === undefined) {
      refused.push(listing);
      continue;
    }
    if (getPane(listing.id)) {
      refused.push({ ...listing, error: `a pane called "${listing.id}" is already registered` });
      continue;
    }
    const { id, title, version, icon, description, collab } = listing;
    const plugin: PluginInfo = { id, title, version, ...(collab ? { collab } : {}) };
    definePane({ id, title, icon, description, collab, component: pluginComponent(plugin) });
  }
  unavailable = refused;
}

/**
 * The component the registry renders for a plugin pane: `PluginMount` bound to this plugin. The
 * pane frame renders every pane the same way, error boundary included.
 */
function pluginComponent(plugin: PluginInfo): Component<PaneProps> {
  return (internals, props) =>
    PluginMount(internals, {
      plugin,
      get instanceId() {
        return props.instanceId;
      },
    });
}
