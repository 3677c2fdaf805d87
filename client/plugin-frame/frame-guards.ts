import type { FrameMessage } from "../../protocol/plugin-frame.ts";

/**
 * What the frame does before any plugin code runs: the content security policy of the frame page
 * already stops every fetch, socket, image, font, frame and form that leaves the pane's own folder;
 * these cover what a policy does not name.
 */

/**
 * WebRTC is the one way out of a page that no directive Chromium honours covers (a STUN request
 * to any address): the constructors are gone before the plugin's code is imported.
 */
export function removeWebRtc(scope: Record<string, unknown> = globalThis as never): void {
  for (const name of ["RTCPeerConnection", "webkitRTCPeerConnection", "RTCDataChannel", "RTCIceCandidate"]) {
    try {
      Object.defineProperty(scope, name, { value: undefined, configurable: false, writable: false });
    } catch {
      // Already gone or not configurable: nothing to take away.
    }
  }
}

/** The shell's own shortcuts (Ctrl/⌘ with these keys) keep working while a plugin has focus. */
const SHELL_KEYS = new Set(["k", "w", "\\"]);

/** Passes the shell's shortcuts and the frame's focus on to the workspace. */
export function forwardShellInput(post: (message: FrameMessage) => void): void {
  window.addEventListener(
    "keydown",
    (event) => {
      if (!(event.ctrlKey || event.metaKey) || !SHELL_KEYS.has(event.key.toLowerCase())) return;
      event.preventDefault();
      event.stopPropagation();
      post({
        t: "key",
        key: event.key,
        ctrl: event.ctrlKey,
        meta: event.metaKey,
        shift: event.shiftKey,
        alt: event.altKey,
      });
    },
    true,
  );
  window.addEventListener("pointerdown", () => post({ t: "focus" }), true);
  window.addEventListener("focus", () => post({ t: "focus" }));
}

/** The text of a thrown value, for the workspace to show in the pane's frame. */
export function failureOf(error: unknown): Extract<FrameMessage, { t: "failed" }> {
  if (error instanceof Error) {
    return {
      t: "failed",
      message: `${error.name === "Error" ? "" : `${error.name}: `}${error.message}`.slice(0, 2000),
      ...(error.stack ? { stack: error.stack.slice(0, 8000) } : {}),
    };
  }
  return { t: "failed", message: String(error).slice(0, 2000) };
}
