/**
 * The pane SDK: the only module a pane imports besides `protocol/` and `svelte`. It is how a pane
 * declares itself and reaches the shell (REST, the `/ws` channels, toasts, opening other panes).
 */
export { type ApiClient, ApiRequestError, api, del, get, post, put } from "./api-client.ts";
export { copyText } from "./clipboard.ts";
export { default as CopyButton } from "./copy-button.svelte";
export { definePane, getPane, listPanes, type PaneDefinition, type PaneProps } from "./define-pane.ts";
export {
  type ChannelFrame,
  type ConnectionState,
  installHost,
  type NodeInfo,
  type NotifyKind,
  type PaneHost,
  type ReconnectInfo,
  useHost,
} from "./host.ts";
