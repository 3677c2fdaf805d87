import * as Y from "yjs";
import { COLLAB_TEXT } from "../../protocol/collab.ts";
import { openTab, type TestTab } from "./ws-client.ts";

/** A scripted browser tab in one room: its own Yjs doc, synced over a real `/ws` socket. */
export interface CollabTab {
  tab: TestTab;
  doc: Y.Doc;
  text(): string;
  insert(index: number, s: string): void;
  remove(index: number, length: number): void;
  share(nodeId?: string): void;
  unshare(nodeId?: string): void;
  close(): void;
}

export async function collabTab(port: number, paneKey: string): Promise<CollabTab> {
  const tab = await openTab(port);
  const doc = new Y.Doc();
  const ytext = doc.getText(COLLAB_TEXT);
  let seen = 0;
  // Apply every state/update frame for this room as it arrives, in order.
  const pump = () => {
    for (; seen < tab.frames.length; seen++) {
      const f = tab.frames[seen]!;
      if (f.channel !== "collab") continue;
      const data = f.data as { paneKey?: string; update?: string };
      if (data.paneKey !== paneKey || (f.event !== "state" && f.event !== "update") || !data.update) continue;
      Y.applyUpdate(doc, Buffer.from(data.update, "base64"), "remote");
    }
  };
  tab.socket.addEventListener("message", () => pump());
  doc.on("update", (update: Uint8Array, origin: unknown) => {
    if (origin === "remote") return;
    tab.send({
      channel: "collab",
      event: "update",
      data: { paneKey, update: Buffer.from(update).toString("base64") },
    });
  });
  tab.send({ channel: "collab", event: "join", data: { paneKey } });
  await tab.next((f) => f.channel === "collab" && f.event === "state");
  pump();
  return {
    tab,
    doc,
    text: () => ytext.toString(),
    insert: (i, s) => ytext.insert(Math.min(i, ytext.length), s),
    remove: (i, n) => ytext.delete(Math.min(i, ytext.length), Math.max(0, Math.min(n, ytext.length - i))),
    share: (nodeId) =>
      tab.send({ channel: "collab", event: "share", data: { paneKey, ...(nodeId ? { nodeId } : {}) } }),
    unshare: (nodeId) =>
      tab.send({ channel: "collab", event: "unshare", data: { paneKey, ...(nodeId ? { nodeId } : {}) } }),
    close: () => tab.close(),
  };
}
