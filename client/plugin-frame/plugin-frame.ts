/**
 * The loader inside a third-party pane's sandboxed frame (`/plugin-frame/<id>`, docs/architecture.md
 * "Plugins in a sandbox"). A classic script, so it needs no CORS; it waits for the one port the
 * workspace hands over, then imports the plugin's bundle (named by its `data-entry`) and mounts it
 * with a host that speaks through that port. Everything the plugin throws goes to the workspace,
 * which shows it in the pane's own frame.
 */
import type { PluginPane } from "../../plugins/sdk/plugin-pane.ts";
import type { FRAME_CONNECT, FrameMessage, HostMessage } from "../../protocol/plugin-frame.ts";
import themeCss from "../theme.css" with { type: "text" };
import { failureOf, forwardShellInput, removeWebRtc } from "./frame-guards.ts";
import { frameHost } from "./frame-host.ts";

// The protocol's constant, typed against it: importing the module itself would bring zod along.
const CONNECT: typeof FRAME_CONNECT = "weft:plugin-connect";
const entry = document.currentScript?.dataset.entry;
removeWebRtc();

const style = document.createElement("style");
style.textContent = `${themeCss}\nhtml, body { margin: 0; min-height: 100%; background: transparent; }`;
document.head.append(style);

let port: MessagePort | undefined;
const post = (message: FrameMessage) => port?.postMessage(message);

window.addEventListener("message", function onConnect(event: MessageEvent) {
  // Only the embedding workspace hands over a port, and only once.
  if (event.source !== parent || port || event.data?.t !== CONNECT || !event.ports[0]) return;
  window.removeEventListener("message", onConnect);
  port = event.ports[0];
  port.onmessage = (e: MessageEvent<HostMessage>) => {
    if (e.data.t === "init") void start(e.data);
  };
});

async function start(init: Extract<HostMessage, { t: "init" }>): Promise<void> {
  const channel = port;
  if (!channel) return;
  const bridge = frameHost(channel, init);
  channel.onmessage = (e: MessageEvent<HostMessage>) => {
    if (e.data.t === "theme") document.documentElement.dataset.theme = e.data.theme;
    else bridge.receive(e.data);
  };
  document.documentElement.dataset.theme = init.theme;
  forwardShellInput(post);
  // Shown in the pane with a Retry, so the browser's own "Uncaught" line would only repeat it.
  window.addEventListener("error", (event) => {
    post(failureOf(event.error ?? new Error(event.message)));
    event.preventDefault();
  });
  window.addEventListener("unhandledrejection", (event) => {
    post(failureOf(event.reason));
    event.preventDefault();
  });
  window.addEventListener("securitypolicyviolation", (event) =>
    console.warn(`blocked by the sandbox: ${event.effectiveDirective} ${event.blockedURI}`),
  );
  try {
    if (!entry) throw new Error("the frame page names no bundle");
    // Absolute: this loader is a no-cors script to the frame's opaque origin, and such a script's
    // import() resolves relative specifiers against about:blank.
    const mod: unknown = await import(new URL(entry, location.href).href);
    const pane = (mod as { default?: unknown }).default;
    if (!isPane(pane)) {
      throw new Error(
        `${entry} does not export a pane: its default export must have a mount(target, ctx) ` +
          "function (build it with definePluginPane)",
      );
    }
    const root = document.getElementById("weft-plugin-root") ?? document.body;
    const unmount: unknown = pane.mount(root, {
      instanceId: init.instanceId,
      paneKey: init.paneKey,
      host: bridge.host,
      plugin: bridge.abilities,
    });
    if (typeof unmount !== "function")
      throw new Error(`${init.pluginId}: mount() must return its unmount function`);
    post({ t: "mounted" });
  } catch (error) {
    post(failureOf(error));
  }
}

// Not the SDK's own check: importing it would bring a copy of Svelte into this loader.
function isPane(value: unknown): value is PluginPane {
  return typeof (value as { mount?: unknown } | null)?.mount === "function";
}
