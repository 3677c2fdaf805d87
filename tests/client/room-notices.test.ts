import { describe, expect, test } from "bun:test";
import { roomSharedNotice, watchRoomShares } from "../../client/collab/room-notices.ts";
import type { ChannelFrame } from "../../plugins/sdk/host.ts";

const titles: Record<string, string> = { scratch: "Scratch" };
const titleOf = (id: string) => titles[id];
const shared = (paneId: string, node_name = "bob"): ChannelFrame => ({
  event: "room_shared",
  data: { paneKey: `${paneId}:main`, paneId, by: { node_id: "bbbbbbbbbbbbbbbb", node_name } },
});

describe("notices when a peer shares a room", () => {
  test("names the peer and the pane, and can open it", () => {
    expect(roomSharedNotice(shared("scratch"), titleOf)).toEqual({
      message: "bob shared Scratch with you",
      paneId: "scratch",
    });
  });

  test("a pane this weft lacks is named but cannot be opened", () => {
    expect(roomSharedNotice(shared("whiteboard"), titleOf)).toEqual({
      message: "bob shared a “whiteboard” pane, which this weft does not have.",
      paneId: null,
    });
  });

  test("a peer with no name is named by its id", () => {
    expect(roomSharedNotice(shared("scratch", " "), titleOf)?.message).toBe(
      "Node bbbbbbbb shared Scratch with you",
    );
  });

  test("other frames and malformed ones make no notice", () => {
    expect(
      roomSharedNotice({ event: "presence", data: { paneKey: "scratch:main", members: [] } }, titleOf),
    ).toBeNull();
    expect(roomSharedNotice({ event: "room_shared", data: { paneId: "scratch" } }, titleOf)).toBeNull();
  });

  test("watching the collab channel shows one notice per share", () => {
    let listener: ((frame: ChannelFrame) => void) | undefined;
    const shown: string[] = [];
    const stop = watchRoomShares(
      {
        subscribe(channel, fn) {
          expect(channel).toBe("collab");
          listener = fn;
          return () => (listener = undefined);
        },
        notify: (notice) => shown.push(notice.message),
      },
      titleOf,
    );
    listener?.(shared("scratch"));
    listener?.({ event: "sharing", data: { paneKey: "scratch:main", sharedWith: [] } });
    expect(shown).toEqual(["bob shared Scratch with you"]);
    stop();
    expect(listener).toBeUndefined();
  });
});
