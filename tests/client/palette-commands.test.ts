import { describe, expect, test } from "bun:test";
import { builtinCommands, type CommandContext } from "../../client/palette/builtin-commands.ts";
import { CommandRegistry } from "../../client/palette/command-registry.ts";
import { filterEntries, type PaletteCommand, paletteEntries } from "../../client/palette/palette-entries.ts";
import { shownScheme, toggledTheme } from "../../client/theme/theme-choice.ts";
import type { PaneParams } from "../../plugins/sdk/host.ts";
import type { PeerRow } from "../../protocol/network.ts";

const panes = [
  { id: "peers", title: "Peers" },
  { id: "settings", title: "Settings" },
  { id: "scratch", title: "Scratch" },
  { id: "secret", title: "Secret", hidden: true },
];

function peer(node_id: string, node_name: string, extra: Partial<PeerRow> = {}): PeerRow {
  return {
    node_id,
    node_name,
    public_key: "k",
    status: "connected",
    transport: "direct",
    trusted: true,
    via: "invite",
    blocked: false,
    address: null,
    last_seen: null,
    rtt_ms: null,
    path_reason: null,
    path_policy: "any",
    agent_policy: null,
    capabilities: [],
    ...extra,
  };
}

function context(overrides: Partial<CommandContext> = {}): {
  ctx: CommandContext;
  opened: Array<[string, PaneParams?]>;
} {
  const opened: Array<[string, PaneParams?]> = [];
  const ctx: CommandContext = {
    host: {
      api: {} as CommandContext["host"]["api"],
      notify() {},
      openPane: (id, params) => opened.push([id, params]),
    },
    theme: "system",
    systemDark: false,
    peers: [],
    ...overrides,
  };
  return { ctx, opened };
}

const command = (id: string, title: string, enabled?: () => boolean): PaletteCommand => ({
  id,
  title,
  run() {},
  ...(enabled ? { enabled } : {}),
});

const titles = (entries: ReturnType<typeof paletteEntries>, query: string) =>
  filterEntries(entries, query).map((r) => `${r.item.kind}:${r.item.title}`);

describe("the palette's list of panes and commands", () => {
  test("panes and commands share one list, each marked with its kind, hidden panes left out", () => {
    const entries = paletteEntries(panes, [command("share", "Share this note")]);
    expect(titles(entries, "")).toEqual([
      "pane:Peers",
      "pane:Settings",
      "pane:Scratch",
      "action:Share this note",
    ]);
  });

  test("a typed query fuzzy-matches commands and panes together, best first", () => {
    const { ctx } = context({ peers: [peer("n-alice", "Alice")] });
    const entries = paletteEntries(panes, builtinCommands(ctx));
    expect(titles(entries, "inv")[0]).toBe("action:Create an invite");
    expect(titles(entries, "msg ali")).toEqual(["action:Message Alice"]);
    expect(titles(entries, "toggle")).toEqual(["action:Toggle theme"]);
    expect(titles(entries, "theme")).toContain("action:Theme: dark");
    expect(titles(entries, "sett")[0]).toBe("pane:Settings");
  });

  test("a command that is disabled, or whose check throws, is left out", () => {
    const entries = paletteEntries(panes, [
      command("on", "Share this note", () => true),
      command("off", "Share that note", () => false),
      command("broken", "Share a broken note", () => {
        throw new Error("boom");
      }),
    ]);
    expect(titles(entries, "share")).toEqual(["action:Share this note"]);
  });

  test("a pane and a command with the same id are both listed", () => {
    const entries = paletteEntries(panes, [command("peers", "Forget every peer")]);
    expect(new Set(entries.map((e) => e.key)).size).toBe(entries.length);
    expect(titles(entries, "peers")).toEqual(["pane:Peers"]);
    expect(titles(entries, "forget")).toEqual(["action:Forget every peer"]);
  });
});

describe("the commands open panes register", () => {
  test("a command is offered until its pane unregisters it", () => {
    const registry = new CommandRegistry();
    const off = registry.register(command("share-note", "Share this note"));
    expect(registry.list().map((c) => c.title)).toEqual(["Share this note"]);
    off();
    expect(registry.list()).toEqual([]);
  });

  test("two panes registering one id show it once, and closing one keeps the other's", () => {
    const registry = new CommandRegistry();
    const offFirst = registry.register(command("share-note", "Share note A"));
    const offSecond = registry.register(command("share-note", "Share note B"));
    expect(registry.list().map((c) => c.title)).toEqual(["Share note B"]);
    offSecond();
    expect(registry.list().map((c) => c.title)).toEqual(["Share note A"]);
    offFirst();
    expect(registry.list()).toEqual([]);
  });
});

describe("the shell's own commands", () => {
  test("Message <peer> is offered for each paired peer that is not blocked, and opens Chat on them", () => {
    const { ctx, opened } = context({
      peers: [
        peer("n-alice", "Alice"),
        peer("n-bob", "Bob", { blocked: true }),
        peer("n-carol", "Carol", { trusted: false }),
        peer("n-0123456789abcdef", "  "),
      ],
    });
    const messages = builtinCommands(ctx).filter((c) => c.id.startsWith("message-"));
    expect(messages.map((c) => c.title)).toEqual(["Message Alice", "Message n-0123456789"]);
    void messages[0]?.run();
    expect(opened).toEqual([["chat", { nodeId: "n-alice" }]]);
  });

  test("Toggle theme switches to the opposite of what is on screen", () => {
    expect(toggledTheme("light", true)).toBe("dark");
    expect(toggledTheme("dark", false)).toBe("light");
    expect(toggledTheme("system", true)).toBe("light");
    expect(toggledTheme("system", false)).toBe("dark");
    expect(shownScheme("system", true)).toBe("dark");
    const toggle = builtinCommands(context({ theme: "system", systemDark: true }).ctx).find(
      (c) => c.id === "toggle-theme",
    );
    expect(toggle?.description).toBe("Switch to the light theme");
  });

  test("the theme in use is marked among the three theme choices", () => {
    const themes = builtinCommands(context({ theme: "dark" }).ctx).filter((c) =>
      c.title.startsWith("Theme:"),
    );
    expect(themes.map((c) => c.title)).toEqual(["Theme: light", "Theme: dark", "Theme: system"]);
    expect(themes.map((c) => c.description?.endsWith("· in use"))).toEqual([false, true, false]);
  });
});
