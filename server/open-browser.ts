import type { Logger } from "./log.ts";

/** Opens the user's default browser on `url`; a failure is only logged, never fatal. */
export function openBrowser(url: string, log: Logger): void {
  const cmd =
    process.platform === "darwin"
      ? ["open", url]
      : process.platform === "win32"
        ? ["cmd", "/c", "start", "", url]
        : ["xdg-open", url];
  try {
    const child = Bun.spawn(cmd, { stdio: ["ignore", "ignore", "ignore"] });
    child.unref();
    void child.exited.then((code) => {
      if (code !== 0) log.info(`could not open a browser; open ${url} yourself`);
    });
  } catch {
    log.info(`could not open a browser; open ${url} yourself`);
  }
}
