/** True on Apple platforms, where shortcuts use ⌘ rather than Ctrl. */
export const isApple = typeof navigator !== "undefined" && /Mac|iPhone|iPad/.test(navigator.userAgent);

/** The modifier shortcuts use, as printed in hints. */
export const modLabel = isApple ? "⌘" : "Ctrl";

/** Ctrl or ⌘: both work everywhere, so a Mac keyboard on Linux (or the reverse) still works. */
export function isModKey(event: KeyboardEvent): boolean {
  return event.ctrlKey || event.metaKey;
}
