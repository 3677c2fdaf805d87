/**
 * How the Settings pane presents each setting to a person: which section it sits in, what it is
 * called and a line on what it does, in plain words. Keyed by setting key; a key missing here
 * still shows, under "Other", with a label made from its key and the node's own description, so
 * a setting added on the node never disappears from the pane.
 */
import { labelFromKey } from "./setting-rules.ts";

export type GroupId = "profile" | "appearance" | "network" | "chat" | "agent" | "other" | "advanced";

/** A section of the pane. `folded` sections start closed: their settings are rarely touched. */
export interface GroupInfo {
  id: GroupId;
  title: string;
  lede?: string;
  folded?: boolean;
}

/** The sections in the order they appear. */
export const GROUPS: readonly GroupInfo[] = [
  { id: "profile", title: "Profile", lede: "How you appear to the people you pair with." },
  { id: "appearance", title: "Appearance" },
  { id: "network", title: "Network", lede: "Who can reach you, and how." },
  { id: "chat", title: "Chat" },
  {
    id: "agent",
    title: "Agent",
    lede: "Whether peers may ask your agent, and what answers them. A question never gets tools or anything of this computer but its text.",
  },
  { id: "other", title: "Other" },
  {
    id: "advanced",
    title: "Advanced",
    lede: "Limits that protect this computer from misbehaving peers. The defaults suit almost everyone.",
    folded: true,
  },
];

/** Words for one setting. `options` names the choices of a select, by value. */
export interface SettingCopy {
  group: GroupId;
  label: string;
  help: string;
  options?: Readonly<Record<string, string>>;
}

export const SETTING_COPY: Readonly<Record<string, SettingCopy>> = {
  "network.nodeName": {
    group: "profile",
    label: "Your name",
    help: "What your peers see when you connect. Leave it blank to use this computer's name.",
  },
  "appearance.theme": {
    group: "appearance",
    label: "Theme",
    help: "Light or dark colours, or match what your system uses (and change when it does).",
    options: { system: "Match my system", light: "Light", dark: "Dark" },
  },
  "network.trustMode": {
    group: "network",
    label: "Who can pair with you",
    help: "Pairing lets someone chat and share panes with you.",
    options: {
      manual: "Only people I send an invite to",
      directory: "Members of my lobby rooms",
      "open-lan": "Anyone on my local network",
    },
  },
  "network.enableDirect": {
    group: "network",
    label: "Direct connections",
    help: "Let peers connect straight to this computer, and connect to theirs the same way.",
  },
  "network.advertisedAddress": {
    group: "network",
    label: "Address for peers",
    help: "Where your invites tell peers to find you, e.g. wss://me.example.org. Leave it blank to use this computer's addresses on your network.",
  },
  "network.lobbyUrl": {
    group: "network",
    label: "Lobby",
    help: "A lobby your team runs (e.g. ws://lobby.example:7400) to find each other, host rooms and reach people behind home routers. Leave it blank for none.",
  },
  "network.lobbyListed": {
    group: "network",
    label: "Show me in the lobby",
    help: "List your name in the lobby's directory of who is online. Your addresses are never listed.",
  },
  "network.enableRelay": {
    group: "network",
    label: "Relay through the lobby",
    help: "When no direct path works, carry links through the lobby. It passes sealed bytes it cannot read.",
  },
  "network.enableWebRtc": {
    group: "network",
    label: "Peer-to-peer through the lobby (WebRTC)",
    help: "When no direct path works, connect peer to peer, with the lobby only introducing you. Most home routers allow it.",
  },
  "network.enableLanDiscovery": {
    group: "network",
    label: "Find people on this network",
    help: "Announce your name on the local network and hear others', so people on the same Wi-Fi or office network connect without a lobby.",
  },
  "network.stunServer": {
    group: "network",
    label: "STUN server",
    help: "Helps WebRTC find a path through your router, e.g. stun:stun.example.org:3478. Leave it blank to ask your lobby, which answers STUN itself: no one else is contacted.",
  },
  "network.turnUrl": {
    group: "network",
    label: "TURN server",
    help: "For strict networks where peer to peer cannot work, e.g. turn:turn.example.org:3478. It carries encrypted traffic it cannot read.",
  },
  "network.turnUsername": {
    group: "network",
    label: "TURN user name",
    help: "The user name the TURN server's operator gave you.",
  },
  "network.turnCredential": {
    group: "network",
    label: "TURN password",
    help: "Kept on this computer and never shown again; type a new one to change it.",
  },
  "agent.allowRemote": {
    group: "agent",
    label: "Let peers ask my agent",
    help: "Off: every question from a peer is refused. On: each peer's policy decides (set it in the Agent pane).",
  },
  "agent.defaultApproval": {
    group: "agent",
    label: "For a peer without its own policy",
    help: "Whether you see each question first, it is answered at once, or refused.",
    options: { ask: "Ask me each time", always: "Answer at once", never: "Never answer" },
  },
  "agent.ratePerMinute": {
    group: "agent",
    label: "Questions per peer per minute",
    help: "More than this from one peer are refused as rate limited.",
  },
  "agent.backend": {
    group: "agent",
    label: "What answers",
    help: "Your questions to peers work whatever you pick here; this is what answers theirs.",
    options: {
      none: "Nothing (no agent here)",
      openai: "An OpenAI-compatible model server",
      command: "A program on this computer",
      inbox: "Me, by hand in the Agent pane",
    },
  },
  "agent.baseUrl": {
    group: "agent",
    label: "Model server",
    help: "For an OpenAI-compatible server, without /chat/completions, e.g. http://127.0.0.1:11434/v1.",
  },
  "agent.model": {
    group: "agent",
    label: "Model",
    help: "The model the server should use. Leave it blank for the server's default.",
  },
  "agent.apiKey": {
    group: "agent",
    label: "API key",
    help: "Sent only to the model server. Kept on this computer, never shown again, never sent to a peer.",
  },
  "agent.command": {
    group: "agent",
    label: "Program",
    help: "Gets the question on stdin and writes the answer to stdout, in an empty folder with nothing but PATH set. Stopped on cancel or timeout.",
  },
  "agent.timeoutS": {
    group: "agent",
    label: "Longest answer, in seconds",
    help: "A question not answered in full by then is given up, and a program answering it is stopped.",
  },
  "chat.maxMessageBytes": {
    group: "chat",
    label: "Longest message",
    help: "The longest message you can send or receive, in bytes (most letters take one).",
  },
  "network.maxFrameBytes": {
    group: "advanced",
    label: "Largest message from a peer",
    help: "Anything bigger, in bytes, is dropped unread.",
  },
  "network.maxJsonDepth": {
    group: "advanced",
    label: "Deepest nesting in a peer's message",
    help: "Deeper data is refused; it is a common way to crash a program.",
  },
  "network.rateLimitPerSec": {
    group: "advanced",
    label: "Messages per second from a peer",
    help: "A peer that sends more than this on average is slowed down.",
  },
  "network.rateLimitBurst": {
    group: "advanced",
    label: "Burst allowance per peer",
    help: "How many messages a peer may send at once above that rate before it is slowed down.",
  },
  "network.maxPendingHandshakes": {
    group: "advanced",
    label: "Connections still introducing themselves",
    help: "How many peers may be in the middle of connecting at once; more are asked to come back later.",
  },
  "network.maxPendingHandshakesPerAddress": {
    group: "advanced",
    label: "Of those, from one address",
    help: "How many of them may come from the same address, so one source cannot take every place.",
  },
  "http.maxBodyBytes": {
    group: "advanced",
    label: "Largest request to this computer",
    help: "The most data, in bytes, one request to this weft may carry; larger ones are refused unread.",
  },
};

/** The words for a setting, falling back to its key and the node's description. */
export function copyFor(key: string, description: string): SettingCopy {
  return SETTING_COPY[key] ?? { group: "other", label: labelFromKey(key), help: description };
}

const COPY_ORDER = new Map(Object.keys(SETTING_COPY).map((key, i) => [key, i]));

/**
 * Settings placed in their sections, in section order. Inside a section, settings come in the
 * order they are listed above (most used first), then unlisted ones in the order given. Sections
 * with no setting are left out.
 */
export function groupSettings<T extends { key: string; description: string }>(
  settings: readonly T[],
): Array<GroupInfo & { items: Array<{ setting: T; copy: SettingCopy }> }> {
  const byGroup = new Map<GroupId, Array<{ setting: T; copy: SettingCopy }>>();
  const ordered = [...settings].sort(
    (a, b) => (COPY_ORDER.get(a.key) ?? COPY_ORDER.size) - (COPY_ORDER.get(b.key) ?? COPY_ORDER.size),
  );
  for (const setting of ordered) {
    const copy = copyFor(setting.key, setting.description);
    const list = byGroup.get(copy.group) ?? [];
    list.push({ setting, copy });
    byGroup.set(copy.group, list);
  }
  return GROUPS.flatMap((group) => {
    const items = byGroup.get(group.id);
    return items ? [{ ...group, items }] : [];
  });
}
