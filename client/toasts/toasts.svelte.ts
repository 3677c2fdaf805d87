import type { NotifyAction, NotifyKind, NotifyOptions } from "../../plugins/sdk/host.ts";

export interface Toast {
  id: number;
  message: string;
  kind: NotifyKind;
  action?: NotifyAction;
  /** A bold first line, e.g. who sent a message. */
  title?: string;
  /** Toasts about the same thing share a key; a newer one replaces the older in place. */
  key?: string;
}

/** What a toast may carry beyond its message: the same as a pane's `notify` takes. */
export type ToastOptions = NotifyOptions;

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

  push(
    message: string,
    kind: NotifyKind = "info",
    action?: NotifyAction,
    options: ToastOptions = {},
  ): number {
    const id = this.#next++;
    const toast: Toast = { id, message, kind };
    if (action) toast.action = action;
    if (options.title !== undefined) toast.title = options.title;
    if (options.key !== undefined) toast.key = options.key;
    const replaced = options.key === undefined ? undefined : this.items.find((t) => t.key === options.key);
    if (replaced) {
      this.#forget(replaced.id);
      this.items = this.items.map((t) => (t === replaced ? toast : t));
    } else {
      this.items = [...this.items, toast].slice(-MAX_VISIBLE);
    }
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
    this.#forget(id);
    this.items = this.items.filter((t) => t.id !== id);
  }

  /** Closes the toast with this key, if one is showing. */
  dismissKey(key: string): void {
    const toast = this.items.find((t) => t.key === key);
    if (toast) this.dismiss(toast.id);
  }

  #forget(id: number): void {
    clearTimeout(this.#timers.get(id));
    this.#timers.delete(id);
  }
}
