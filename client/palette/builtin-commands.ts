/**
 * The shell's own palette commands: things a person does often enough to want them one
 * keystroke away, whichever pane is open. Built fresh each time the palette opens, from what is
 * true then (the theme, the paired peers).
 */
import { copyText } from "../../plugins/sdk/clipboard.ts";
import type { PaneHost } from "../../plugins/sdk/host.ts";
import type { ThemeChoice } from "../../protocol/appearance.ts";
import { inviteResponse, type PeerRow } from "../../protocol/network.ts";
import { saveTheme, shownScheme, toggledTheme } from "../theme/theme-choice.ts";
import type { PaletteCommand } from "./palette-entries.ts";

/** What the shell's commands act on, given by the palette. */
export interface CommandContext {
  host: Pick<PaneHost, "api" | "notify" | "openPane">;
  theme: ThemeChoice;
  systemDark: boolean;
  peers: readonly PeerRow[];
}

export function builtinCommands(ctx: CommandContext): PaletteCommand[] {
  const next = toggledTheme(ctx.theme, ctx.systemDark);
  const commands: PaletteCommand[] = [
    {
      id: "create-invite",
      title: "Create an invite",
      description: "Copies a single-use invite to send to the person you want to pair with",
      icon: "✉",
      run: () => createInvite(ctx.host),
    },
    {
      id: "toggle-theme",
      title: "Toggle theme",
      description: `Switch to the ${next} theme`,
      icon: "◐",
      run: () => saveTheme(ctx.host, next),
    },
  ];
  for (const choice of ["light", "dark", "system"] as const) {
    const inUse = ctx.theme === choice;
    commands.push({
      id: `theme-${choice}`,
      title: `Theme: ${choice}`,
      description: themeLine(choice, inUse, ctx.systemDark),
      icon: "◐",
      run: () => saveTheme(ctx.host, choice),
    });
  }
  for (const peer of ctx.peers) {
    // Blocked peers keep their history in Chat, but a command to write to them would mislead.
    if (!peer.trusted || peer.blocked) continue;
    commands.push({
      id: `message-${peer.node_id}`,
      title: `Message ${peerName(peer)}`,
      description: "Opens your conversation in Chat",
      icon: "✎",
      run: () => ctx.host.openPane("chat", { nodeId: peer.node_id }),
    });
  }
  return commands;
}

function themeLine(choice: ThemeChoice, inUse: boolean, systemDark: boolean): string {
  const what =
    choice === "system"
      ? `Follows your system (${shownScheme("system", systemDark)} now)`
      : `Always ${choice}, whatever your system uses`;
  return inUse ? `${what} · in use` : what;
}

function peerName(peer: PeerRow): string {
  return peer.node_name.trim() || peer.node_id.slice(0, 12);
}

/** Mints an invite, copies it and shows it, so it can be sent without opening Peers. */
async function createInvite(host: CommandContext["host"]): Promise<void> {
  const { invite, expires } = await host.api.post("/api/network/invite", {}, inviteResponse);
  const copied = await copyText(invite);
  const copyAgain = { label: "Copy", run: () => void copyText(invite) };
  // `expires` is in seconds or milliseconds depending on the wire; both are far from 1e12 today.
  const expiresMs = expires < 1e12 ? expires * 1000 : expires;
  const hours = Math.max(1, Math.round((expiresMs - Date.now()) / 3_600_000));
  const terms = `it works once, for ${hours} hour${hours === 1 ? "" : "s"}`;
  host.notify(
    copied
      ? `Invite copied (${abbreviate(invite)}). Send it to the person you want to pair with; ${terms}.`
      : `Invite ready; copy it and send it to the person you want to pair with (${terms}): ${invite}`,
    "success",
    copyAgain,
  );
}

/** Enough of an invite to recognise it; the clipboard holds the whole. */
export function abbreviate(invite: string): string {
  return invite.length <= 28 ? invite : `${invite.slice(0, 16)}…${invite.slice(-8)}`;
}
