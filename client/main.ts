import "../plugins/builtin.ts";
import { mount } from "svelte";
import { getPane, startPanes } from "../plugins/sdk/define-pane.ts";
import { installHost } from "../plugins/sdk/host.ts";
import App from "./app.svelte";
import { Connection } from "./connection/connection.svelte.ts";
import { createShellHost } from "./host/shell-host.ts";
import { applyRememberedTheme, followThemeSetting } from "./theme/theme-choice.ts";
import { Toasts } from "./toasts/toasts.svelte.ts";
import { Workspace } from "./workspace/layout.svelte.ts";
import { registerPluginPanes } from "./workspace/plugin-loader.ts";

// Before any await: the first paint is already in the theme chosen last time.
applyRememberedTheme();

// Panes are registered (by the import above) before the layout is restored, so a saved layout
// keeps exactly the panes this build has.
const scheme = location.protocol === "https:" ? "wss" : "ws";
const connection = new Connection(`${scheme}://${location.host}/ws`);
// Third-party panes come from the node and are registered the same way, also before the layout.
await registerPluginPanes();
const workspace = new Workspace({ lookup: getPane, storage: safeLocalStorage() });
const toasts = new Toasts();
const host = createShellHost(connection, workspace, toasts);
installHost(host);
followThemeSetting(host);
// Before the socket opens and before any pane mounts, so what a pane counts while closed (unread
// messages, say) is counted from the first frame on.
startPanes(host);

connection.start();
// The browser knows before our backoff does when the network or the tab comes back.
addEventListener("online", () => connection.retryNow());
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") connection.retryNow();
});

const target = document.getElementById("app");
if (!target) throw new Error("index.html has no #app element");
mount(App, { target, props: { connection, workspace, toasts } });

function safeLocalStorage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    // Some privacy settings throw on access; the layout then lives for this visit only.
    return undefined;
  }
}
