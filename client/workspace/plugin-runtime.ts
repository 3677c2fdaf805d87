import type { PaneHost } from "../../plugins/sdk/host.ts";
import { isPluginPane, type PluginPane } from "../../plugins/sdk/plugin-pane.ts";
import type { CollabDecl } from "../../protocol/pane.ts";

/**
 * The shell's side of third-party panes at run time: importing a bundle, checking what it
 * exports, and tracing errors back to the plugin they came from so only its frames show them.
 */

/** A usable plugin pane as listed by `/api/panes`. */
export interface PluginInfo {
  id: string;
  title: string;
  version: string;
  /** Same-origin URL of its ESM bundle, `/plugins/<id>/<entry>`. */
  url: string;
  collab?: CollabDecl;
}

const modules = new Map<string, Promise<PluginPane>>();
let attempts = 0;

/**
 * The plugin's pane, importing its bundle the first time. A failed import is forgotten so Retry
 * imports again, under a fresh URL: the browser keeps a module that failed to load or to run
 * failed for as long as the page lives.
 */
export function loadPluginPane(plugin: PluginInfo): Promise<PluginPane> {
  const cached = modules.get(plugin.id);
  if (cached) return cached;
  const url = attempts === 0 ? plugin.url : `${plugin.url}?attempt=${attempts}`;
  const loading = importPane(plugin, url);
  modules.set(plugin.id, loading);
  loading.catch(() => {
    modules.delete(plugin.id);
    attempts += 1;
  });
  return loading;
}

async function importPane(plugin: PluginInfo, url: string): Promise<PluginPane> {
  forgetYjsMarker();
  const mod: unknown = await import(url);
  const pane = (mod as { default?: unknown }).default;
  if (!isPluginPane(pane)) {
    throw new Error(
      `${plugin.url} does not export a pane: its default export must have a mount(target, ctx) ` +
        "function (build it with definePluginPane)",
    );
  }
  return pane;
}

/**
 * Every bundle carries its own Yjs, and Yjs prints an error when it finds a copy already loaded,
 * because objects passed between two copies break its constructor checks. Here no Yjs object
 * ever crosses: a plugin talks to the shell only in JSON and base64 updates through `PaneHost`.
 * The marker is cleared before a bundle loads so that warning is not raised for the shell's copy;
 * two copies inside one bundle still raise it.
 */
function forgetYjsMarker(): void {
  delete (globalThis as Record<string, unknown>)["__ $YJS$ __"];
}

type FailureListener = (error: unknown) => void;
const failureListeners = new Map<string, Set<FailureListener>>();

/** Calls `listener` with errors traced to the plugin's code; returns the function that stops it. */
export function onPluginFailure(id: string, listener: FailureListener): () => void {
  watchWindowErrors();
  let set = failureListeners.get(id);
  if (!set) {
    set = new Set();
    failureListeners.set(id, set);
  }
  set.add(listener);
  return () => set.delete(listener);
}

/** Hands an error to the plugin's open frames; true when at least one took it. */
function reportFailure(id: string, error: unknown): boolean {
  const listeners = [...(failureListeners.get(id) ?? [])];
  for (const listener of listeners) listener(error);
  return listeners.length > 0;
}

/** The plugin whose bundle appears in a script URL or a stack trace, if any. */
export function pluginOf(text: string | undefined, origin = location.origin): string | undefined {
  if (!text) return undefined;
  const at = text.indexOf(`${origin}/plugins/`);
  if (at < 0) return undefined;
  return /^([a-z][a-z0-9-]{0,39})\//.exec(text.slice(at + origin.length + "/plugins/".length))?.[1];
}

let watching = false;

/**
 * A plugin's own Svelte reports errors from its event handlers and effects to the window, not to
 * the shell's boundaries. Errors whose script or stack is a plugin bundle go to that plugin's
 * frames instead; the rest are left alone for the browser to report.
 */
function watchWindowErrors(): void {
  if (watching) return;
  watching = true;
  window.addEventListener("error", (event) => {
    const id = pluginOf(event.filename) ?? pluginOf(stackOf(event.error));
    if (id && reportFailure(id, event.error ?? new Error(event.message))) event.preventDefault();
  });
  window.addEventListener("unhandledrejection", (event) => {
    const id = pluginOf(stackOf(event.reason));
    if (id && reportFailure(id, event.reason)) event.preventDefault();
  });
}

function stackOf(error: unknown): string | undefined {
  return error instanceof Error ? error.stack : undefined;
}

const hosts = new Map<string, PaneHost>();

/**
 * The host a plugin is given: the shell's, with every callback the plugin registers wrapped so a
 * throw in it is reported to the plugin's frames instead of breaking the shell code that called
 * it (one channel listener throwing must not stop the others from hearing a frame).
 */
export function pluginHost(id: string, host: PaneHost): PaneHost {
  const existing = hosts.get(id);
  if (existing) return existing;
  const guard =
    <A extends unknown[]>(fn: (...args: A) => void) =>
    (...args: A): void => {
      try {
        fn(...args);
      } catch (error) {
        if (!reportFailure(id, error)) console.error(`pane "${id}" failed`, error);
      }
    };
  const guarded: PaneHost = {
    get api() {
      return host.api;
    },
    get connection() {
      return host.connection;
    },
    get node() {
      return host.node;
    },
    subscribe: (channel, listener) => host.subscribe(channel, guard(listener)),
    send: (channel, event, data) => host.send(channel, event, data),
    onReconnect: (listener) => host.onReconnect(guard(listener)),
    openPane: (paneId, params) => host.openPane(paneId, params),
    onOpened: (paneId, listener) => host.onOpened(paneId, guard(listener)),
    notify: (message, kind, action, options) =>
      host.notify(
        message,
        kind,
        action ? { label: action.label, run: guard(action.run) } : undefined,
        options,
      ),
    dismissToast: (key) => host.dismissToast(key),
    setBadge: (paneId, count) => host.setBadge(paneId, count),
    registerCommand: (command) => {
      const enabled = command.enabled;
      return host.registerCommand({
        id: command.id,
        title: command.title,
        run: () => {
          try {
            return command.run();
          } catch (error) {
            if (!reportFailure(id, error)) console.error(`pane "${id}" failed`, error);
          }
        },
        // A check that throws hides the command rather than breaking the palette's list.
        enabled: enabled
          ? () => {
              try {
                return enabled();
              } catch (error) {
                if (!reportFailure(id, error)) console.error(`pane "${id}" failed`, error);
                return false;
              }
            }
          : undefined,
      });
    },
  };
  hosts.set(id, guarded);
  return guarded;
}
