/**
 * What a bench started, undone on the way out, newest first, Ctrl-C included: every process,
 * socket and folder goes whether the bench finished, broke or was interrupted.
 */
export function benchCleanup(log: (line: string) => void): {
  /** Adds a step to undo on the way out. */
  defer(step: () => void | Promise<void>): void;
  /** Runs every step once (a second call waits for the first); a failing step is logged. */
  cleanUp(): Promise<void>;
} {
  const cleanups: Array<() => void | Promise<void>> = [];
  let cleaning: Promise<void> | undefined;
  const cleanUp = (): Promise<void> => {
    cleaning ??= (async () => {
      for (const step of cleanups.splice(0).reverse()) {
        try {
          await step();
        } catch (err) {
          log(`cleanup step failed: ${(err as Error).message}`);
        }
      }
    })();
    return cleaning;
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping everything`);
      void cleanUp().then(() => process.exit(130));
    });
  }
  return { defer: (step) => void cleanups.push(step), cleanUp };
}
