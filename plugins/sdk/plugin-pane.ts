import { type Component, mount, unmount } from "svelte";
import { installHost, type PaneHost } from "./host.ts";
import { NO_ABILITIES, type PluginAbilities } from "./plugin-abilities.ts";

/** What the host hands a third-party pane each time it opens one. */
export interface PluginPaneContext {
  /** Unique per open tab, as `PaneProps.instanceId`. */
  instanceId: string;
  /** The pane's collab room (`<id>:<key>` or `<id>:<instanceId>`), or undefined without `collab`. */
  paneKey: string | undefined;
  /** The host inside the sandbox: the pane's own rooms, its badge, commands and shortcuts. */
  host: PaneHost;
  /** What its permissions allow (peers, notices, chat); absent outside a sandbox. */
  plugin?: PluginAbilities;
}

/** Props a plugin pane's root component receives. */
export interface PluginPaneProps {
  instanceId: string;
  paneKey: string | undefined;
  host: PaneHost;
  plugin: PluginAbilities;
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
 * Why a mount function and not a component: a plugin is built on its own, ships its own copy of
 * Svelte and of this SDK, and runs in a sandboxed frame of its own, so nothing of the workspace
 * renders it. The frame's loader calls `mount` with a host that speaks to the workspace through
 * messages; `mount` installs it, so `useHost()` and `useCollab()` work inside the pane as they do
 * in a built-in one. The host and the plugin's abilities (its granted permissions) are also passed
 * as props.
 *
 * Inside the sandbox the host offers the pane's own rooms (`collab`) and the node's welcome
 * (`system`), its badge, its palette commands and opening itself on another room; `host.api` and
 * other channels refuse. Reactive host getters (`connection`, `node`) do not re-render a plugin's
 * components; subscribe to the `system` channel for such changes instead.
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
        props: {
          instanceId: ctx.instanceId,
          paneKey: ctx.paneKey,
          host: ctx.host,
          plugin: ctx.plugin ?? NO_ABILITIES,
        },
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
