/**
 * Output guard for the master bus: whatever reaches it, what leaves it is
 * finite, free of DC and never a burst of garbage. Put it before the
 * `SafetyLimiter` (limiter.ts).
 *
 * - A process call whose range holds a NaN, ±Infinity or a sample beyond
 *   {@linkcode GUARD_RUNAWAY_LEVEL} is a fault: the frames before the first
 *   bad one fade to silence, the rest of the range is silent, the DC blocker
 *   is cleared, and the following calls fade back in over
 *   {@linkcode GUARD_FADE_MS}.
 * - A one-pole DC blocker (high-pass at {@linkcode GUARD_DC_CUTOFF_HZ})
 *   removes any constant offset.
 * - When the slow mean (time constant {@linkcode GUARD_DC_TIME_MS}) of either
 *   input channel exceeds {@linkcode GUARD_DC_LEVEL}, that is counted as a
 *   DC-runaway fault once, until the mean falls below half the level.
 *
 * {@linkcode OutputGuard.faults} counts both kinds for the engine to report.
 *
 * @module
 */

import { checkSampleRate } from "./_checks.ts";
import type { Frames, Hz, Milliseconds } from "./units.ts";

/** Samples beyond this magnitude (+40 dBFS) are treated as a runaway: silenced like NaN. */
export const GUARD_RUNAWAY_LEVEL = 100;
/** Fade-in after a fault, and at most the fade-out before one, in ms. */
export const GUARD_FADE_MS: Milliseconds = 20;
/** Cutoff of the DC blocker in Hz. */
export const GUARD_DC_CUTOFF_HZ: Hz = 5;
/** Input mean magnitude above which a DC runaway is counted. */
export const GUARD_DC_LEVEL = 0.25;
/** Time constant of the input mean used for DC-runaway detection, in ms. */
export const GUARD_DC_TIME_MS: Milliseconds = 100;

/** DC-blocker states smaller than this in magnitude are flushed to 0 (denormal guard). */
const FLUSH_LEVEL = 1e-20;

/**
 * Float64 slots used by {@linkcode OutputGuard.saveState}: fault count, DC
 * blocker (last input and output per channel), input means, DC latch, gain.
 */
export const OUTPUT_GUARD_STATE_SIZE: number = 9;

/**
 * Pole of the DC blocker y[n] = x[n] − x[n−1] + R·y[n−1] for a cutoff of
 * `cutoffHz` at `sampleRate` Hz: R = exp(−2π·cutoff / rate).
 *
 * @throws {RangeError} if the rate is out of range.
 *
 * @example
 * ```ts
 * import { dcBlockerPole, GUARD_DC_CUTOFF_HZ } from "./output_guard.ts";
 * dcBlockerPole(GUARD_DC_CUTOFF_HZ, 48000); // 0.99935
 * ```
 */
export function dcBlockerPole(cutoffHz: Hz, sampleRate: Hz): number {
  checkSampleRate(sampleRate);
  return Math.exp((-2 * Math.PI * cutoffHz) / sampleRate);
}

/**
 * Fault-catching DC-blocking stage over interleaved stereo blocks, processed
 * in place (see the module doc). It has no parameters to set, so nothing
 * from the control side can upset it.
 *
 * @example
 * ```ts
 * import { OutputGuard } from "./output_guard.ts";
 * const guard = new OutputGuard(48000);
 * const block = new Float32Array(2 * 128); // L,R,L,R…
 * block[10] = NaN;
 * guard.process(block, 0, 128); // silent, guard.faults === 1
 * ```
 */
export class OutputGuard {
  /** Sample rate in Hz. */
  readonly sampleRate: Hz = 0;
  /** Float64 slots needed by {@linkcode saveState} ({@linkcode OUTPUT_GUARD_STATE_SIZE}). */
  readonly stateSize: number = OUTPUT_GUARD_STATE_SIZE;
  readonly #pole: number = 0;
  readonly #meanCoef: number = 0;
  readonly #fadeStep: number = 1;
  readonly #fadeFrames: number = 1;
  #faults = 0;
  #inL = 0;
  #inR = 0;
  #outL = 0;
  #outR = 0;
  #meanL = 0;
  #meanR = 0;
  #dcLatched = false;
  /** Output gain, 0..1: below 1 while fading in after a fault. */
  #gain = 1;

  /**
   * A guard at full gain with cleared filters and no faults counted.
   *
   * @param sampleRate sample rate in Hz.
   * @throws {RangeError} if the rate is out of range.
   */
  constructor(sampleRate: Hz) {
    checkSampleRate(sampleRate);
    this.sampleRate = sampleRate;
    this.#pole = dcBlockerPole(GUARD_DC_CUTOFF_HZ, sampleRate);
    this.#meanCoef = 1 - Math.exp(-1000 / (GUARD_DC_TIME_MS * sampleRate));
    this.#fadeFrames = Math.max(1, Math.round((GUARD_FADE_MS * sampleRate) / 1000));
    this.#fadeStep = 1 / this.#fadeFrames;
  }

  /** Faults seen so far: process calls with bad samples, plus DC-runaway onsets. */
  get faults(): number {
    return this.#faults;
  }

  /** True while fading back in after a fault (output gain below 1). */
  get recovering(): boolean {
    return this.#gain < 1;
  }

  /** Clear the filter state and the fade (full gain); the fault count is kept. Control side. */
  reset(): void {
    this.#clearFilters();
    this.#meanL = 0;
    this.#meanR = 0;
    this.#dcLatched = false;
    this.#gain = 1;
  }

  /**
   * Write the complete state — fault count, DC blocker, input means, DC
   * latch and fade gain — to `dst` at `offset` ({@linkcode stateSize}
   * slots); returns the offset after it. A guard of the same rate loaded
   * from it continues bit-identically (and counts on from the same fault
   * count). Control side.
   * @throws {RangeError} if `dst` is too short.
   */
  saveState(dst: Float64Array, offset: number): number {
    checkStateRange(dst, offset);
    dst[offset] = this.#faults;
    dst[offset + 1] = this.#inL;
    dst[offset + 2] = this.#inR;
    dst[offset + 3] = this.#outL;
    dst[offset + 4] = this.#outR;
    dst[offset + 5] = this.#meanL;
    dst[offset + 6] = this.#meanR;
    dst[offset + 7] = this.#dcLatched ? 1 : 0;
    dst[offset + 8] = this.#gain;
    return offset + OUTPUT_GUARD_STATE_SIZE;
  }

  /**
   * Read the state written by {@linkcode saveState}; returns the offset after
   * it. Values a valid snapshot cannot hold are repaired: a fault count that
   * is not a whole number >= 0 to 0; a last input beyond
   * ±{@linkcode GUARD_RUNAWAY_LEVEL} (which the guard never passes), a last
   * output beyond four times that, a mean beyond twice that, or any
   * non-finite one, to 0; a latch other than 1 to off; the gain clamped to
   * 0..1 (NaN: 0, fading in). Control side.
   * @throws {RangeError} if `src` is too short.
   */
  loadState(src: Float64Array, offset: number): number {
    checkStateRange(src, offset);
    const within = (x: number, limit: number): number => (x >= -limit && x <= limit ? x : 0);
    const faults = src[offset] as number;
    this.#faults = Number.isSafeInteger(faults) && faults >= 0 ? faults : 0;
    this.#inL = within(src[offset + 1] as number, GUARD_RUNAWAY_LEVEL);
    this.#inR = within(src[offset + 2] as number, GUARD_RUNAWAY_LEVEL);
    this.#outL = within(src[offset + 3] as number, 4 * GUARD_RUNAWAY_LEVEL);
    this.#outR = within(src[offset + 4] as number, 4 * GUARD_RUNAWAY_LEVEL);
    this.#meanL = within(src[offset + 5] as number, 2 * GUARD_RUNAWAY_LEVEL);
    this.#meanR = within(src[offset + 6] as number, 2 * GUARD_RUNAWAY_LEVEL);
    this.#dcLatched = src[offset + 7] === 1;
    const g = src[offset + 8] as number;
    this.#gain = g > 0 ? (g < 1 ? g : 1) : 0;
    return offset + OUTPUT_GUARD_STATE_SIZE;
  }

  /**
   * Guard frames [start, end) of the interleaved stereo block `buf` in place;
   * the range is clamped to the block. Render loop; allocates nothing, never
   * throws.
   */
  process(buf: Float32Array, start: Frames, end: Frames): void {
    const frames = buf.length >> 1;
    const s = start > 0 ? (start < frames ? start | 0 : frames) : 0;
    const e = end > 0 ? (end < frames ? end | 0 : frames) : 0;
    // First bad frame, or e.
    let bad = e;
    for (let f = s; f < e; f++) {
      const l = buf[2 * f] as number;
      const r = buf[2 * f + 1] as number;
      // NaN fails every comparison, so !(… <= level) catches it with ±Infinity.
      if (!(l <= GUARD_RUNAWAY_LEVEL && l >= -GUARD_RUNAWAY_LEVEL)) {
        bad = f;
        break;
      }
      if (!(r <= GUARD_RUNAWAY_LEVEL && r >= -GUARD_RUNAWAY_LEVEL)) {
        bad = f;
        break;
      }
    }
    if (bad === e) {
      this.#filter(buf, s, e, false);
      return;
    }
    // Fault: fade the good frames out to 0 at `bad`, silence the rest.
    this.#faults++;
    const from = bad - s > this.#fadeFrames ? bad - this.#fadeFrames : s;
    this.#filter(buf, s, from, false);
    this.#filter(buf, from, bad, true);
    buf.fill(0, 2 * bad, 2 * e);
    this.#clearFilters();
    this.#gain = 0;
  }

  /**
   * DC-block frames [s, e) in place and track the input mean. The output gain
   * rises by the fade step per frame up to 1, or with `fadeOut` falls in a
   * straight line to reach 0 on the last frame. Integer and boolean arguments
   * only, so the call boxes nothing (see _scratch.ts).
   */
  #filter(buf: Float32Array, s: number, e: number, fadeOut: boolean): void {
    if (e <= s) return;
    const pole = this.#pole;
    const mc = this.#meanCoef;
    let x1L = this.#inL;
    let x1R = this.#inR;
    let y1L = this.#outL;
    let y1R = this.#outR;
    let meanL = this.#meanL;
    let meanR = this.#meanR;
    let g = this.#gain;
    const step = fadeOut ? -g / (e - s) : this.#fadeStep;
    for (let f = s; f < e; f++) {
      const o = 2 * f;
      const xL = buf[o] as number;
      const xR = buf[o + 1] as number;
      let yL = xL - x1L + pole * y1L;
      let yR = xR - x1R + pole * y1R;
      if (yL > -FLUSH_LEVEL && yL < FLUSH_LEVEL) yL = 0;
      if (yR > -FLUSH_LEVEL && yR < FLUSH_LEVEL) yR = 0;
      x1L = xL;
      x1R = xR;
      y1L = yL;
      y1R = yR;
      meanL += mc * (xL - meanL);
      meanR += mc * (xR - meanR);
      if (meanL > -FLUSH_LEVEL && meanL < FLUSH_LEVEL) meanL = 0;
      if (meanR > -FLUSH_LEVEL && meanR < FLUSH_LEVEL) meanR = 0;
      g += step;
      g = g > 1 ? 1 : g < 0 ? 0 : g;
      buf[o] = yL * g;
      buf[o + 1] = yR * g;
    }
    this.#inL = x1L;
    this.#inR = x1R;
    this.#outL = y1L;
    this.#outR = y1R;
    this.#meanL = meanL;
    this.#meanR = meanR;
    this.#gain = g;
    const am = meanL < 0 ? -meanL : meanL;
    const bm = meanR < 0 ? -meanR : meanR;
    const m = am > bm ? am : bm;
    if (!this.#dcLatched && m > GUARD_DC_LEVEL) {
      this.#dcLatched = true;
      this.#faults++;
    } else if (this.#dcLatched && m < GUARD_DC_LEVEL / 2) {
      this.#dcLatched = false;
    }
  }

  #clearFilters(): void {
    this.#inL = 0;
    this.#inR = 0;
    this.#outL = 0;
    this.#outR = 0;
  }
}

/** Throw unless `buf` holds {@linkcode OUTPUT_GUARD_STATE_SIZE} values from `offset`. */
function checkStateRange(buf: Float64Array, offset: number): void {
  if (
    !(Number.isInteger(offset) && offset >= 0 && offset + OUTPUT_GUARD_STATE_SIZE <= buf.length)
  ) {
    throw new RangeError(
      `state buffer must hold ${OUTPUT_GUARD_STATE_SIZE} values from offset ${offset}, got ${buf.length}`,
    );
  }
}
