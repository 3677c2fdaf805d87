/** A test tab: a real WebSocket to `/ws` that records every frame it receives. */
export interface TestTab {
  frames: Array<{ channel: string; event: string; data: unknown }>;
  send(frame: unknown): void;
  sendRaw(text: string): void;
  /** Resolves with the first recorded frame (past or future) matching, or rejects after `ms`. */
  next(
    match: (f: { channel: string; event: string; data: unknown }) => boolean,
    ms?: number,
  ): Promise<{ channel: string; event: string; data: unknown }>;
  close(): void;
  socket: WebSocket;
}

export async function openTab(port: number, origin = `http://localhost:${port}`): Promise<TestTab> {
  const socket = new WebSocket(`ws://localhost:${port}/ws`, {
    headers: { origin, host: `localhost:${port}` },
  } as never);
  const frames: TestTab["frames"] = [];
  const waiters: Array<() => void> = [];
  socket.addEventListener("message", (e) => {
    frames.push(JSON.parse(String(e.data)));
    for (const w of waiters.splice(0)) w();
  });
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener("open", () => resolve(), { once: true });
    socket.addEventListener("error", () => reject(new Error("WebSocket refused")), { once: true });
  });
  const tab: TestTab = {
    frames,
    socket,
    send: (frame) => socket.send(JSON.stringify(frame)),
    sendRaw: (text) => socket.send(text),
    close: () => socket.close(),
    next(match, ms = 2000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no matching frame in time")), ms);
        const look = () => {
          const found = frames.find(match);
          if (found) {
            clearTimeout(timer);
            resolve(found as never);
          } else waiters.push(look);
        };
        look();
      });
    },
  };
  return tab;
}
