import { expect } from "bun:test";
import { chatTab } from "./chat-tab.ts";
import { type CollabTab, collabTab } from "./collab-tab.ts";
import { type LobbyNode, receivedTexts } from "./lobby-nodes.ts";
import { eventually } from "./peer-nodes.ts";

const ROOM = "scratch:main";

/**
 * Two people busy while their link changes under them: one typing into a shared note, one
 * chatting, each recording what it did so a test can check every keystroke and message arrived
 * exactly once and in order.
 */

/** Types `[<who><n>]` at the end of the note every few ms until stopped; returns what it typed. */
export function typist(tab: CollabTab, who: string): { stop(): string[] } {
  const typed: string[] = [];
  const timer = setInterval(() => {
    const word = `[${who}${typed.length}]`;
    typed.push(word);
    tab.insert(tab.text().length, word);
  }, 4);
  return {
    stop() {
      clearInterval(timer);
      return typed;
    },
  };
}

/** Sends numbered messages every few ms until stopped; returns their texts in order. */
export function chatter(send: (text: string) => void, who: string): { sent: string[]; stop(): string[] } {
  const sent: string[] = [];
  const timer = setInterval(() => {
    const text = `${who} message ${sent.length}`;
    sent.push(text);
    send(text);
  }, 6);
  return {
    sent,
    stop() {
      clearInterval(timer);
      return sent;
    },
  };
}

/** How many times `word` occurs in `text`. */
export const count = (text: string, word: string) => text.split(word).length - 1;

/**
 * A host and a guest already linked, busy: the host shares its Scratch with the guest, both type
 * into it and both chat, nonstop, until `finish`, which stops them and checks what a person on
 * either side would see: every keystroke once in both copies, each typist's words in order, and
 * every chat message once and in order. `sent()` counts the messages sent so far, each way.
 */
export async function busyPair(host: LobbyNode, guest: LobbyNode) {
  const hostId = host.node.identity.nodeId;
  const guestId = guest.node.identity.nodeId;
  const owner = await collabTab(host.node.port, ROOM);
  owner.share(guestId);
  const address = `${ROOM}@${hostId}`;
  await eventually(() => guest.node.collab.room(address) !== undefined, "the share", 5000);
  const opened = await collabTab(guest.node.port, address);
  const a = await chatTab(guest.node.port);
  const b = await chatTab(host.node.port);
  const typing = [typist(owner, "h"), typist(opened, "g")];
  const talking = [chatter((t) => a.send(hostId, t), "guest"), chatter((t) => b.send(guestId, t), "host")];
  return {
    sent: () => talking.map((t) => t.sent.length) as [guest: number, host: number],
    async finish(): Promise<{ guestSent: string[]; hostSent: string[] }> {
      const [hostTyped, guestTyped] = typing.map((t) => t.stop()) as [string[], string[]];
      const [guestSent, hostSent] = talking.map((t) => t.stop()) as [string[], string[]];
      await eventually(
        () =>
          owner.text() === opened.text() &&
          owner.text().length === [...hostTyped, ...guestTyped].join("").length,
        "both copies of the note to hold every keystroke",
        8000,
      );
      const text = owner.text();
      expect([...hostTyped, ...guestTyped].filter((w) => count(text, w) !== 1)).toEqual([]);
      // Each typist's words stay in the order typed.
      for (const words of [hostTyped, guestTyped]) {
        const at = words.map((w) => text.indexOf(w));
        expect(at).toEqual([...at].sort((x, y) => x - y));
      }
      const allArrived = async () =>
        (await receivedTexts(host.node, guest.node)).length >= guestSent.length &&
        (await receivedTexts(guest.node, host.node)).length >= hostSent.length;
      const deadline = Date.now() + 8000;
      while (!(await allArrived()) && Date.now() < deadline) await Bun.sleep(50);
      await Bun.sleep(300); // a resend that doubled a message would land right behind
      expect(await receivedTexts(host.node, guest.node)).toEqual(guestSent);
      expect(await receivedTexts(guest.node, host.node)).toEqual(hostSent);
      for (const tab of [owner, opened, a.tab, b.tab]) tab.close();
      return { guestSent, hostSent };
    },
  };
}
