/**
 * Helpers shared by the DSP modules' snapshots (`saveState`/`loadState`):
 * range checks and the repair of values read from a possibly corrupt
 * snapshot. Control side only; none of this runs in a render loop.
 *
 * @module
 */

import type { ParamSmoother } from "./smoother.ts";

/** Throw a RangeError unless `buf` holds `size` values from `offset`. */
export function checkStateRange(buf: Float64Array, offset: number, size: number): void {
  if (!(Number.isInteger(offset) && offset >= 0 && offset + size <= buf.length)) {
    throw new RangeError(
      `state buffer must hold ${size} values from offset ${offset}, got ${buf.length}`,
    );
  }
}

/**
 * Load smoother `s` from `src` at `offset`, then repair it: value and target
 * clamped into [lo, hi], a non-finite one replaced by the other (or `lo`).
 * Returns the offset after the smoother's state.
 */
export function loadSmootherClamped(
  s: ParamSmoother,
  src: Float64Array,
  offset: number,
  lo: number,
  hi: number,
): number {
  const next = s.loadState(src, offset);
  const v = s.value;
  const t = s.target;
  const clamp = (x: number): number => (x < lo ? lo : x > hi ? hi : x);
  const target = Number.isFinite(t) ? clamp(t) : Number.isFinite(v) ? clamp(v) : lo;
  const value = Number.isFinite(v) ? clamp(v) : target;
  if (value !== v || target !== t) {
    s.reset(value);
    s.setTarget(target);
  }
  return next;
}

/**
 * Fill a delay line from `src` at `offset`; values that are not finite or
 * lie beyond ±`limit` (far past any real signal) become 0.
 */
export function loadDelayLine(
  line: Float32Array,
  src: Float64Array,
  offset: number,
  limit: number,
): void {
  for (let i = 0; i < line.length; i++) {
    const x = src[offset + i] as number;
    line[i] = x >= -limit && x <= limit ? x : 0;
  }
}
