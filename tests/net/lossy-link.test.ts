import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { weftBinary } from "../helpers/binary.ts";
import { waitFor } from "../helpers/browser.ts";
import type { CollabTab } from "../helpers/collab-tab.ts";
import { linkedOver, peerOf, sameText, shareScratch } from "../helpers/lobby-binary-nodes.ts";
import { chatBothWays, netRun, pairThroughRoom } from "./net-run.ts";

/**
 * Two compiled nodes behind endpoint-independent NATs whose WANs delay what they send by 100 ms
 * and lose 2 % of it (200 ms between the nodes and back, a loss each way): a shared Scratch both
 * type into at once ends the same on both sides with every character, and chat arrives once.
 */

const run = netRun(weftBinary);
afterEach(() => run.cleanUp());
afterAll(() => run.cleanUp());

/** Types `text` into `note` a character at a time, as a person would, each at `at(i)`. */
async function typeInto(note: CollabTab, text: string, at: (i: number) => number): Promise<void> {
  for (const [i, ch] of [...text].entries()) {
    note.insert(at(i), ch);
    await Bun.sleep(10);
  }
}

describe("compiled nodes over a slow, lossy internet", () => {
  test("with 100 ms of delay and 2 % loss on both WANs, both people type into one Scratch and see the same text with every character, and chat arrives once each way", async () => {
    const wan = { delayMs: 100, lossPct: 2 };
    const world = await run.world([
      { nat: "eim", wan },
      { nat: "eim", wan },
    ]);
    const { host, guest } = await pairThroughRoom(run, world, { host: {}, guest: {} });
    await waitFor(() => linkedOver(host, guest, "webrtc"), "a WebRTC link both ways", 15_000);
    expect((await peerOf(guest, host))?.path_reason).toStartWith("webrtc: ");

    const { hostNote, guestNote } = await shareScratch(host, guest, run.keep.tabs);
    const start = hostNote.text();
    // The host types at the end of the note while the guest types at its start, both at once.
    const [typedByHost, typedByGuest] = [" and the host adds this line", "The guest writes first: "];
    await Promise.all([
      typeInto(hostNote, typedByHost, () => hostNote.text().length),
      typeInto(guestNote, typedByGuest, (i) => i),
    ]);
    const expected = `${typedByGuest}${start}${typedByHost}`;
    await waitFor(
      () => sameText(hostNote, guestNote, expected),
      "both notes to show every character",
      15_000,
    );

    await chatBothWays(run, host, guest, "over a lossy link", 5);
  }, 30_000);
});
