import type { ChatMessage } from "../../protocol/chat.ts";
import { openTab, type TestTab } from "./ws-client.ts";

/** A scripted tab on the `chat` channel. */
export interface ChatTab {
  tab: TestTab;
  open(nodeId: string): Promise<{ messages: ChatMessage[]; unread: number; hasMore: boolean }>;
  close(nodeId: string): void;
  send(nodeId: string, text: string, clientId?: string): void;
  read(nodeId: string, upTo: string): void;
  messages(): ChatMessage[];
  /** Latest status a message reached, from `message` and `receipt` frames. */
  statusOf(id: string): string | undefined;
  errors(): string[];
  lastUnread(): Record<string, number> | undefined;
}

let clientSeq = 0;

export async function chatTab(port: number): Promise<ChatTab> {
  const tab = await openTab(port);
  const chat = () => tab.frames.filter((f) => f.channel === "chat");
  return {
    tab,
    async open(nodeId) {
      const before = chat().filter((f) => f.event === "history").length;
      tab.send({ channel: "chat", event: "open", data: { nodeId } });
      await tab.next(() => chat().filter((f) => f.event === "history").length > before);
      return chat()
        .filter((f) => f.event === "history")
        .at(-1)!.data as never;
    },
    close: (nodeId) => tab.send({ channel: "chat", event: "close", data: { nodeId } }),
    send: (nodeId, text, clientId = `c${++clientSeq}`) =>
      tab.send({ channel: "chat", event: "send", data: { nodeId, text, clientId } }),
    read: (nodeId, upTo) => tab.send({ channel: "chat", event: "read", data: { nodeId, upTo } }),
    messages: () =>
      chat()
        .filter((f) => f.event === "message")
        .map((f) => f.data as ChatMessage),
    statusOf(id) {
      let status: string | undefined;
      for (const f of chat()) {
        const d = f.data as { id?: string; ids?: string[]; status?: string };
        if ((f.event === "message" && d.id === id) || (f.event === "receipt" && d.ids?.includes(id)))
          status = d.status;
      }
      return status;
    },
    errors: () =>
      chat()
        .filter((f) => f.event === "error")
        .map((f) => (f.data as { message: string }).message),
    lastUnread: () =>
      (
        chat()
          .filter((f) => f.event === "unread")
          .at(-1)?.data as { counts: Record<string, number> } | undefined
      )?.counts,
  };
}
