/**
 * Shared measuring helpers for bench modules: call rates (async and sync loops) and their formats.
 * @module
 */

/** Time spent measuring each case (after a short warm-up). */
export const MEASURE_MS = 800;

/** Calls per second of `fn`, awaited back to back for about {@link MEASURE_MS}. */
export async function callsPerSecond(fn: () => unknown): Promise<number> {
  const run = async (ms: number) => {
    let calls = 0;
    const start = performance.now();
    let elapsed = 0;
    // Check the clock once per batch so timing overhead does not dominate fast cases.
    while (elapsed < ms) {
      for (let i = 0; i < 1000; i++) await fn();
      calls += 1000;
      elapsed = performance.now() - start;
    }
    return (calls / elapsed) * 1000;
  };
  await run(100);
  return run(MEASURE_MS);
}

/**
 * {@link callsPerSecond} of each of `fns`, measured in turn `rounds` times (interleaved, so that a
 * noisy neighbour slows all of them alike); the median rate of each.
 */
export async function interleavedCallsPerSecond(fns: Array<() => unknown>, rounds = 5): Promise<number[]> {
  const rates = fns.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (const [i, fn] of fns.entries()) rates[i]?.push(await callsPerSecond(fn));
  }
  return rates.map(median);
}

/** The same loop without `await`, for synchronous cases (the bare baseline, sync peer checks). */
export function syncCallsPerSecond(fn: () => unknown): number {
  const run = (ms: number) => {
    let calls = 0;
    let sink = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < ms) {
      for (let i = 0; i < 100_000; i++) if (fn()) sink++;
      calls += 100_000;
      elapsed = performance.now() - start;
    }
    if (sink === -1) console.log(sink); // keep the results observable
    return (calls / elapsed) * 1000;
  };
  run(100);
  return run(MEASURE_MS);
}

/** A rate with its unit: `1.23 M calls/s`. */
export function rate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)} M calls/s`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)} k calls/s`;
  return `${perSecond.toFixed(0)} calls/s`;
}

/** The cost of one call at `perSecond`: `120 ns/call`. */
export function perCall(perSecond: number): string {
  const ns = 1e9 / perSecond;
  return ns >= 1e6
    ? `${(ns / 1e6).toFixed(2)} ms/call`
    : ns >= 1e3
      ? `${(ns / 1e3).toFixed(1)} µs/call`
      : `${ns.toFixed(0)} ns/call`;
}

/** Median of a list of numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
