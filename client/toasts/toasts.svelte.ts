import type { NotifyKind } from "../../plugins/sdk/host.ts";

export interface Toast {
  id: number;
  message: string;
  kind: NotifyKind;
}

/** How long a toast stays; errors stay longer because they usually need reading. */
const LIFETIME_MS: Record<NotifyKind, number> = { info: 4000, success: 3000, error: 8000 };
/** Older toasts give way so a burst of notices cannot cover the workspace. */
const MAX_VISIBLE = 4;

/** The toasts on screen, newest last. */
export class Toasts {
  items = $state<Toast[]>([]);
  #next = 1;
  readonly #timers = new Map<number, ReturnType<typeof setTimeout>>();

  push(message: string, kind: NotifyKind = "info"): number {
    const id = this.#next++;
    this.items = [...this.items, { id, message, kind }].slice(-MAX_VISIBLE);
    this.#timers.set(
      id,
      setTimeout(() => this.dismiss(id), LIFETIME_MS[kind]),
    );
    return id;
  }

  dismiss(id: number): void {
    clearTimeout(this.#timers.get(id));
    this.#timers.delete(id);
    this.items = this.items.filter((t) => t.id !== id);
  }
}
