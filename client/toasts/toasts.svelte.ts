import type { NotifyAction, NotifyKind } from "../../plugins/sdk/host.ts";

export interface Toast {
  id: number;
  message: string;
  kind: NotifyKind;
  action?: NotifyAction;
}

/** How long a toast stays; errors stay longer because they usually need reading. */
const LIFETIME_MS: Record<NotifyKind, number> = { info: 4000, success: 3000, error: 8000 };
/** A toast that offers something to do stays long enough to be read and acted on. */
const ACTION_LIFETIME_MS = 12_000;
/** Older toasts give way so a burst of notices cannot cover the workspace. */
const MAX_VISIBLE = 4;

/** The toasts on screen, newest last. */
export class Toasts {
  items = $state<Toast[]>([]);
  #next = 1;
  readonly #timers = new Map<number, ReturnType<typeof setTimeout>>();

  push(message: string, kind: NotifyKind = "info", action?: NotifyAction): number {
    const id = this.#next++;
    const toast: Toast = action ? { id, message, kind, action } : { id, message, kind };
    this.items = [...this.items, toast].slice(-MAX_VISIBLE);
    this.#timers.set(
      id,
      setTimeout(
        () => this.dismiss(id),
        action ? Math.max(ACTION_LIFETIME_MS, LIFETIME_MS[kind]) : LIFETIME_MS[kind],
      ),
    );
    return id;
  }

  /** Runs a toast's action and closes it. */
  act(id: number): void {
    const toast = this.items.find((t) => t.id === id);
    this.dismiss(id);
    toast?.action?.run();
  }

  dismiss(id: number): void {
    clearTimeout(this.#timers.get(id));
    this.#timers.delete(id);
    this.items = this.items.filter((t) => t.id !== id);
  }
}
