/** What the browser allows for desktop notifications, or that it has none. */
export type DesktopPermission = NotificationPermission | "unsupported";

/** Where "Not now" on the offer is remembered, per browser profile. */
const OFFER_DISMISSED_KEY = "weft.chat.desktopOffer";

function readDismissed(): boolean {
  try {
    return localStorage.getItem(OFFER_DISMISSED_KEY) === "dismissed";
  } catch {
    return false;
  }
}

function readPermission(): DesktopPermission {
  return typeof Notification === "undefined" ? "unsupported" : Notification.permission;
}

/** The person is looking at this page: it is the visible tab and has the focus. */
export function pageInView(): boolean {
  return document.visibilityState === "visible" && document.hasFocus();
}

/**
 * Desktop notifications for chat news. Permission is asked only when the person presses the
 * offer in the Chat pane (browsers ignore or punish a prompt on load), and a notification is
 * shown only while the page is hidden or unfocused: on screen, the in-page notice says enough.
 */
class DesktopNotices {
  permission = $state<DesktopPermission>(readPermission());
  /** The person said "Not now" to the offer; it stays away until they clear site data. */
  offerDismissed = $state(readDismissed());
  /** What is on the desktop now, by tag, so news that was read can be taken back. */
  readonly #shown = new Map<string, Notification>();

  /** The Chat pane offers to turn them on: the browser has not been asked, nor the offer refused. */
  get offer(): boolean {
    return this.permission === "default" && !this.offerDismissed;
  }

  dismissOffer(): void {
    this.offerDismissed = true;
    try {
      localStorage.setItem(OFFER_DISMISSED_KEY, "dismissed");
    } catch {
      // Without storage the offer stays away for this visit only.
    }
  }

  /** Asks the browser; call only from a click or key press. */
  async ask(): Promise<void> {
    if (typeof Notification === "undefined") return;
    try {
      this.permission = await Notification.requestPermission();
    } catch {
      this.permission = readPermission();
    }
  }

  /** Shows one notification when allowed and the page is not in view; true when it did. */
  show(title: string, body: string, tag: string, onClick: () => void): boolean {
    // The person may have changed the site's permission in the browser meanwhile.
    this.permission = readPermission();
    if (this.permission !== "granted" || pageInView()) return false;
    try {
      const notice = new Notification(title, { body, tag });
      this.#shown.set(tag, notice);
      notice.onclick = () => {
        window.focus();
        this.close(tag);
        onClick();
      };
      return true;
    } catch {
      // Some platforms allow the permission but refuse page-made notifications (service worker only).
      return false;
    }
  }

  /** Takes back the notification with this tag, if one is showing. */
  close(tag: string): void {
    this.#shown.get(tag)?.close();
    this.#shown.delete(tag);
  }
}

/** The tab's one desktop-notification gate. */
export const desktopNotices = new DesktopNotices();
