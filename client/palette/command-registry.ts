import type { PaneCommand } from "../../plugins/sdk/host.ts";

/**
 * The commands open panes offer the palette. Panes add theirs through `PaneHost.registerCommand`
 * and take them back when they unmount. Each registration is its own entry, so a second instance
 * of a pane registering the same id and then closing does not remove the first one's command.
 * Not reactive on purpose: the palette reads the list when it opens, and while it is open (a
 * modal) no pane mounts or unmounts.
 */
export class CommandRegistry {
  #entries: Array<{ token: number; command: PaneCommand }> = [];
  #next = 1;

  register(command: PaneCommand): () => void {
    const token = this.#next++;
    this.#entries = [...this.#entries, { token, command }];
    return () => {
      this.#entries = this.#entries.filter((e) => e.token !== token);
    };
  }

  /** One command per id, the latest registration winning, in the order ids first appeared. */
  list(): PaneCommand[] {
    const byId = new Map<string, PaneCommand>();
    for (const { command } of this.#entries) {
      byId.delete(command.id);
      byId.set(command.id, command);
    }
    return [...byId.values()];
  }
}

/** The shell's one registry: the host writes to it, the palette reads it. */
export const paneCommands = new CommandRegistry();
