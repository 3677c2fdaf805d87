/**
 * The pane SDK: the only module a pane imports besides `protocol/` and `svelte`. It is how a pane
 * declares itself and reaches the shell (REST, the `/ws` channels, toasts, opening other panes), and
 * how it edits a shared room with others (`useCollab`, `bindTextarea`) without touching Yjs itself.
 */
export { type ApiClient, ApiRequestError, api, del, get, post, put } from "./api-client.ts";
export { badgeCount } from "./badge-count.ts";
export { bindTextarea } from "./bind-textarea.ts";
export { copyText } from "./clipboard.ts";
export { default as CopyButton } from "./copy-button.svelte";
export { definePane, getPane, listPanes, type PaneDefinition, type PaneProps } from "./define-pane.ts";
export { default as Fact } from "./fact.svelte";
export { default as FactList } from "./fact-list.svelte";
export {
  type ChannelFrame,
  type ConnectionState,
  installHost,
  type NodeInfo,
  type NotifyAction,
  type NotifyKind,
  type NotifyOptions,
  type PaneCommand,
  type PaneHost,
  type ReconnectInfo,
  useHost,
} from "./host.ts";
export { default as InviteCard } from "./invite-card.svelte";
export {
  type Checked,
  checkInvite,
  DAMAGED_INVITE,
  formatExpiry,
  type InvitePreview,
  inviteIssuer,
  inviteProblem,
  readInvite,
  shortId,
  toMillis,
} from "./invites.ts";
export { PeerDirectory } from "./peer-directory.svelte.ts";
export {
  type AgePrecision,
  BYTE_UNITS,
  byteUnit,
  formatAge,
  formatBytes,
  formatCount,
  formatLastSeen,
  formatRate,
  formatRtt,
  formatSize,
  presenceLabel,
  type StatusTone,
  statusLabel,
  statusTone,
} from "./peer-format.ts";
export {
  type ChatSendOutcome,
  NO_ABILITIES,
  type PluginAbilities,
  type PluginPeer,
} from "./plugin-abilities.ts";
export { announcePluginChange, onPluginChange } from "./plugin-changes.ts";
export {
  definePluginPane,
  isPluginPane,
  type PluginPane,
  type PluginPaneContext,
  type PluginPaneProps,
} from "./plugin-pane.ts";
export { default as ProblemBlock } from "./problem-block.svelte";
export { default as RemoteCarets } from "./remote-carets.svelte";
export { default as StatusDot } from "./status-dot.svelte";
export { type CaretBox, caretBox, reportCaret } from "./text-carets.ts";
export { diffText, type TextSplice } from "./text-diff.ts";
export {
  type CaretEnds,
  type CaretRange,
  type CaretSource,
  type Collab,
  type CollabStatus,
  captureCaret,
  paneKeyFor,
  type RemoteCaret,
  useCollab,
} from "./use-collab.ts";
