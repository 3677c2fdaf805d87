import type { RoomListing } from "../../protocol/collab.ts";

/** The note every node starts with; rooms from before notes existed are this one. */
export const FIRST_NOTE = "scratch:main";

/** A fresh note's room key: `scratch:n-` and 10 random characters of `[a-z0-9]`. */
export function newNoteKey(random: () => number = Math.random): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  let id = "";
  for (let i = 0; i < 10; i++) id += alphabet[Math.floor(random() * alphabet.length)];
  return `scratch:n-${id}`;
}

/** A note's own title, or what to call it without one. */
export function noteTitle(title: string, paneKey: string): string {
  const trimmed = title.trim();
  if (trimmed) return trimmed;
  return paneKey.startsWith(FIRST_NOTE) ? "Notes" : "Untitled note";
}

/** "alice's Groceries" for a note someone shared with me; the title alone for mine. */
export function noteLabel(note: Pick<RoomListing, "title" | "paneKey" | "owner">): string {
  const title = noteTitle(note.title, note.paneKey);
  return note.owner ? `${note.owner.node_name || note.owner.node_id.slice(0, 8)}'s ${title}` : title;
}

/** Who a note of mine is shared with, in words: "Only you", "Shared with bob", "… and 2 others". */
export function sharedSummary(names: readonly string[]): string {
  if (names.length === 0) return "Only you";
  if (names.length === 1) return `Shared with ${names[0]}`;
  if (names.length === 2) return `Shared with ${names[0]} and ${names[1]}`;
  return `Shared with ${names[0]} and ${names.length - 1} others`;
}

/** What a note shared with me says of its state, or null while it is live. */
export function guestState(note: Pick<RoomListing, "access">): "New" | "Read-only" | null {
  if (note.access === "invited") return "New";
  if (note.access === "revoked") return "Read-only";
  return null;
}

/** My notes (the first note first, then newest change first) and the notes shared with me. */
export function splitNotes(rooms: readonly RoomListing[]): { mine: RoomListing[]; shared: RoomListing[] } {
  const mine = rooms
    .filter((r) => r.owner === null)
    .sort(
      (a, b) =>
        Number(b.paneKey === FIRST_NOTE) - Number(a.paneKey === FIRST_NOTE) || b.updatedAt - a.updatedAt,
    );
  const shared = rooms.filter((r) => r.owner !== null).sort((a, b) => b.updatedAt - a.updatedAt);
  return { mine, shared };
}
