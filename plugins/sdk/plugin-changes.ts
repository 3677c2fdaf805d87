/**
 * Word, within this tab, that a plugin's grants or on/off state changed (Settings → Plugins), so
 * an open pane of that plugin reads its row again at once instead of at its next opening.
 */
const changes = new EventTarget();

/** Says that plugin `id` changed. */
export function announcePluginChange(id: string): void {
  changes.dispatchEvent(new CustomEvent("change", { detail: id }));
}

/** Calls `listener` with the id of each plugin that changes; returns the function that stops it. */
export function onPluginChange(listener: (id: string) => void): () => void {
  const handler = (event: Event) => listener(String((event as CustomEvent<unknown>).detail));
  changes.addEventListener("change", handler);
  return () => changes.removeEventListener("change", handler);
}
