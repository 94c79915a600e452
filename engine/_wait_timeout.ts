/**
 * Allocation-free timeouts for `Atomics.wait`.
 *
 * `Atomics.wait` is a V8 builtin that takes its timeout as a tagged value,
 * so a fractional timeout computed in optimised code is boxed into a fresh
 * HeapNumber on every call: 16 bytes per wait, which in a render loop that
 * sleeps once or twice per block is enough to trigger a young-generation GC
 * every few seconds. {@linkcode waitTimeout} instead returns one of a fixed
 * set of numbers that were boxed once, at start-up, in an array of generic
 * elements, so passing it on allocates nothing.
 *
 * @module
 */

/** Granularity of the timeouts, in ms. */
export const WAIT_STEP_MS = 0.025;
/** Longest timeout in the table, in ms; longer requests are capped. */
export const WAIT_MAX_MS = 10;

const STEPS = Math.round(WAIT_MAX_MS / WAIT_STEP_MS);

/**
 * The timeouts, boxed once. Seeded with an object so V8 gives the array
 * generic elements (tagged HeapNumbers), not unboxed doubles that it would
 * box again on every read.
 */
const TIMEOUTS: unknown[] = [{}];
for (let i = 0; i <= STEPS; i++) TIMEOUTS[i] = i * WAIT_STEP_MS;

/**
 * A timeout for `Atomics.wait` of at least `ms` (rounded up to
 * {@linkcode WAIT_STEP_MS}), at most {@linkcode WAIT_MAX_MS}; 0 for zero,
 * negative or NaN. Allocates nothing.
 *
 * @example
 * ```ts
 * import { waitTimeout } from "./_wait_timeout.ts";
 * const cell = new Int32Array(new SharedArrayBuffer(4));
 * Atomics.wait(cell, 0, 0, waitTimeout(0.3)); // sleeps 0.3 ms, no HeapNumber
 * ```
 */
export function waitTimeout(ms: number): number {
  const step = ms / 0.025;
  // Literals, not the constants: see dsp/_scratch.ts on boxing in conditionals.
  const index = step >= 400 ? 400 : step > 0 ? Math.ceil(step) : 0;
  return TIMEOUTS[index] as number;
}
