import { api } from "../../plugins/sdk/api-client.ts";
import type { PaneHost } from "../../plugins/sdk/host.ts";
import type { Connection } from "../connection/connection.svelte.ts";
import { paneCommands } from "../palette/command-registry.ts";
import type { Toasts } from "../toasts/toasts.svelte.ts";
import type { Workspace } from "../workspace/layout.svelte.ts";
import { paneBadges } from "../workspace/pane-badges.svelte.ts";
import { PaneIntents } from "./pane-intents.ts";

/** The `PaneHost` panes see, built over the shell's connection, workspace and toasts. */
export function createShellHost(connection: Connection, workspace: Workspace, toasts: Toasts): PaneHost {
  const intents = new PaneIntents();
  return {
    api,
    get connection() {
      return connection.status;
    },
    get node() {
      return connection.node;
    },
    subscribe: (channel, listener) => connection.subscribe(channel, listener),
    send: (channel, event, data) => connection.send(channel, event, data),
    onReconnect: (listener) => connection.onReconnect(listener),
    openPane(id, params) {
      if (!workspace.open(id)) {
        toasts.push(`There is no pane called "${id}".`, "error");
        return;
      }
      if (params) intents.deliver(id, params);
    },
    onOpened: (paneId, listener) => intents.listen(paneId, listener),
    notify: (message, kind, action, options) => {
      toasts.push(message, kind, action, options);
    },
    dismissToast: (key) => toasts.dismissKey(key),
    setBadge: (paneId, count) => paneBadges.set(paneId, count),
    registerCommand: (command) => paneCommands.register(command),
  };
}
