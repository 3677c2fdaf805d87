/** Small pieces every bench shares: medians, rounding, a time bound, and A/B rounds taken in turn. */

/** The `q` quantile (0 ≤ q < 1) of `xs` by nearest rank below; 0 for no samples. */
export const quantile = (xs: number[], q: number): number =>
  xs.length === 0 ? 0 : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

export const median = (xs: number[]): number => quantile(xs, 0.5);

export const round = (x: number, places = 1): number => Math.round(x * 10 ** places) / 10 ** places;

/** `promise`, or a clear failure after `ms` instead of a bench that hangs. */
export function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/**
 * Measures two flows in turn, `rounds` times each after a warm-up, so whatever the machine does
 * meanwhile falls on both alike; returns the median round of each. `measure(flow, s)` runs one
 * flow for `s` seconds and returns its rate.
 */
export async function alternatingRounds<F>(
  a: F,
  b: F,
  measure: (flow: F, s: number) => Promise<number>,
  opts: { seconds: number; rounds: number; warmupS: number },
): Promise<{ a: number; b: number }> {
  await measure(a, opts.warmupS);
  await measure(b, opts.warmupS);
  const ra: number[] = [];
  const rb: number[] = [];
  for (let r = 0; r < opts.rounds; r++) {
    ra.push(await measure(a, opts.seconds / opts.rounds));
    rb.push(await measure(b, opts.seconds / opts.rounds));
  }
  return { a: median(ra), b: median(rb) };
}
