/**
 * A problem the user can fix by changing how weft is started: a bad flag, an unusable data dir,
 * a port in use. `main` prints its message as one line and exits 2, never a stack trace.
 */
export class StartupError extends Error {
  override readonly name = "StartupError";
}
