/** First retry delay after a lost socket. */
export const BACKOFF_BASE_MS = 250;
/** Retries never wait longer than this, so a restarted node is found within seconds. */
export const BACKOFF_MAX_MS = 5000;

/**
 * Delay before reconnect attempt `attempt` (0 for the first): 250 ms doubling to 5 s, then jittered
 * down by up to half so many tabs of a restarted node do not all reconnect in the same instant.
 */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempt));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
