import { type Component, mount, unmount } from "svelte";
import { installHost, type PaneHost } from "./host.ts";

/** What the host hands a third-party pane each time it opens one. */
export interface PluginPaneContext {
  /** Unique per open tab, as `PaneProps.instanceId`. */
  instanceId: string;
  /** The pane's collab room (`<id>:<key>` or `<id>:<instanceId>`), or undefined without `collab`. */
  paneKey: string | undefined;
  /** The shell's host: REST, the `/ws` channels, toasts, opening panes. */
  host: PaneHost;
}

/** Props a plugin pane's root component receives. */
export interface PluginPaneProps {
  instanceId: string;
  paneKey: string | undefined;
  host: PaneHost;
}

/**
 * The default export of a third-party pane's bundle. `mount` renders the pane into `target` and
 * returns the function that removes it again. It may throw; the host then shows the error in
 * that pane's frame only.
 */
export interface PluginPane {
  mount(target: HTMLElement, ctx: PluginPaneContext): () => void;
}

/**
 * Makes a Svelte component into a `PluginPane`, the default export of a third-party bundle.
 *
 * Why a mount function and not a component: a plugin is built on its own and ships its own copy
 * of Svelte and of this SDK. A component compiled against one copy of Svelte cannot be rendered
 * by another (each keeps its own scheduler, effect tree and context), so the host never renders a
 * plugin's component itself; it calls `mount` and the plugin's own Svelte does the rendering.
 * For the same reason the plugin's copy of the SDK starts with no host installed: `mount` first
 * installs the one it is given, so `useHost()` and `useCollab()` work inside the pane as they do
 * in a built-in one. The host is also passed as a prop, for code that wants it explicitly.
 *
 * Reactive host getters (`connection`, `node`) are runes of the shell's Svelte and do not
 * re-render a plugin's components; subscribe to the `system` channel for such changes instead.
 *
 * ```ts
 * // index.ts of a plugin
 * import { definePluginPane } from "../../sdk/index.ts";
 * import Pane from "./pane.svelte";
 * export default definePluginPane(Pane);
 * ```
 */
export function definePluginPane(component: Component<PluginPaneProps>): PluginPane {
  return {
    mount(target, ctx) {
      installHost(ctx.host);
      const instance = mount(component, {
        target,
        props: { instanceId: ctx.instanceId, paneKey: ctx.paneKey, host: ctx.host },
      });
      return () => {
        void unmount(instance);
      };
    },
  };
}

/** True when `value` has the shape of a `PluginPane`; the host checks a bundle's export with it. */
export function isPluginPane(value: unknown): value is PluginPane {
  return (
    typeof value === "object" && value !== null && typeof (value as { mount?: unknown }).mount === "function"
  );
}
