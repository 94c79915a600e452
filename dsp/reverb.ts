/**
 * Stereo reverb: an 8-line feedback delay network (Jot & Chaigne, 1991;
 * Smith, "Physical Audio Signal Processing", FDN reverberation).
 *
 * Each loop pass a line's output goes through a one-pole low-pass (damping),
 * a gain g_i and the orthonormal 8×8 Hadamard matrix (H/√8, a fast
 * Walsh–Hadamard transform) before the input is added and it is written back.
 * The line lengths ({@linkcode REVERB_LINE_MS}) are fixed; `size` sets the
 * decay time:
 *
 *   RT60(size) = {@linkcode REVERB_MIN_RT60} · (MAX/MIN)^size seconds,
 *
 * 0.2 s at size 0 to 10 s at size 1 (see {@linkcode reverbRt60}), by giving
 * line i of L_i frames the gain g_i = 10^(−3·L_i / (RT60·rate)). Every loop
 * then loses exactly 60 dB per RT60, so all modes decay together and the
 * energy envelope falls at 60 dB / RT60 — at low frequencies. Damping
 * shortens only the high-frequency decay: its low-pass has unity gain at DC.
 * The matrix is orthogonal and every gain and the low-pass are at most 1 in
 * magnitude, so the network is stable for any parameter values.
 *
 * @module
 */

import { checkStateRange, loadSmootherClamped } from "./_state.ts";
import { checkFinite, checkSampleRate } from "./_checks.ts";
import { SCRATCH_FRAMES } from "./_scratch.ts";
import { DEFAULT_SMOOTHING_MS, ParamSmoother, SMOOTHER_STATE_SIZE } from "./smoother.ts";
import type { Frames, Hz, Milliseconds, Seconds } from "./units.ts";

/** Decay time at size 0, in seconds. */
export const REVERB_MIN_RT60: Seconds = 0.2;
/** Decay time at size 1, in seconds. */
export const REVERB_MAX_RT60: Seconds = 10;
/** Lengths of the 8 delay lines in ms (about 30–75 ms, spread so their echoes rarely coincide). */
export const REVERB_LINE_MS: readonly Milliseconds[] = [
  29.7,
  33.1,
  37.9,
  41.3,
  47.9,
  53.7,
  61.1,
  71.3,
];
/**
 * Cutoff in Hz (about −3 dB) of the loop low-pass at damping 1; at damping d
 * its pole is d·exp(−2π·REVERB_DAMPING_HZ / rate), so damping 0 is no filter.
 */
export const REVERB_DAMPING_HZ: Hz = 1000;

/** Number of delay lines; a power of two for the Walsh–Hadamard transform. */
const LINES = 8;
/** Wet output gain: the sum of four lines per channel, scaled. */
const OUTPUT_GAIN = 0.5;
/** Line values smaller than this in magnitude are stored as 0 (denormal guard). */
const FLUSH_LEVEL = 1e-20;
/** ln(1000): a 60 dB amplitude drop in nepers. */
const LN_1000 = 3 * Math.LN10;
/** Snapshot slots before the lines: 3 smoothers, then positions, gains and low-pass states. */
const OWN_STATE = 3 * SMOOTHER_STATE_SIZE + 3 * LINES;

/**
 * Line and low-pass values a snapshot may hold: {@linkcode Reverb.loadState}
 * zeroes anything beyond (or non-finite). 80 dB over full scale: the lines
 * only get there from input 100 times beyond where the master's output guard
 * already calls it a runaway.
 */
export const REVERB_STATE_LIMIT = 1e4;

/** Frames of delay line `j` at `sampleRate` Hz. */
function lineFrames(j: number, sampleRate: Hz): Frames {
  return Math.max(1, Math.round(((REVERB_LINE_MS[j] ?? 0) * sampleRate) / 1000));
}

/**
 * Float64 slots of a {@linkcode Reverb} snapshot at `sampleRate` Hz
 * ({@linkcode Reverb.stateSize}): 30 for the smoothers, read positions, loop
 * gains and damping filters, plus one per delay-line frame, Σ round(L_i·rate)
 * over {@linkcode REVERB_LINE_MS} (18048 frames at 48 kHz).
 *
 * @throws {RangeError} if the rate is out of range.
 *
 * @example
 * ```ts
 * import { reverbStateSize } from "./reverb.ts";
 * reverbStateSize(48000); // 18078
 * ```
 */
export function reverbStateSize(sampleRate: Hz): number {
  checkSampleRate(sampleRate);
  let total = OWN_STATE;
  for (let j = 0; j < LINES; j++) total += lineFrames(j, sampleRate);
  return total;
}

/**
 * Decay time in seconds for `size` (clamped to 0..1):
 * {@linkcode REVERB_MIN_RT60}·(REVERB_MAX_RT60 / REVERB_MIN_RT60)^size.
 *
 * @throws {RangeError} if `size` is not finite.
 *
 * @example
 * ```ts
 * import { reverbRt60 } from "./reverb.ts";
 * reverbRt60(0); // 0.2
 * reverbRt60(0.5); // 1.414…
 * reverbRt60(1); // 10
 * ```
 */
export function reverbRt60(size: number): Seconds {
  checkFinite("size", size);
  const s = size < 0 ? 0 : size > 1 ? 1 : size;
  return REVERB_MIN_RT60 * Math.pow(REVERB_MAX_RT60 / REVERB_MIN_RT60, s);
}

/** Options of {@linkcode Reverb}. */
export interface ReverbOptions {
  /** Starting size 0..1 (sets the RT60, see {@linkcode reverbRt60}); default 0.5. */
  readonly size?: number;
  /** Starting damping 0..1; default 0.3. */
  readonly damping?: number;
  /** Starting wet/dry mix, 0 (dry) .. 1 (wet only); default 0.25. */
  readonly mix?: number;
  /** Smoothing time constant of size, damping and mix in ms; default 5. */
  readonly smoothingMs?: Milliseconds;
}

/**
 * FDN reverb over interleaved stereo blocks, processed in place (see the
 * module doc): out = dry + mix·(wet − dry). The left input feeds the even
 * lines and the right the odd ones; the left output sums the even lines and
 * the right the odd ones, after the matrix has mixed them all. Size, damping
 * and mix are clamped to 0..1 and smoothed. The lines are allocated by the
 * constructor. If a non-finite value appears (from the input), the block
 * range is zeroed and the lines cleared.
 *
 * @example
 * ```ts
 * import { Reverb } from "./reverb.ts";
 * const reverb = new Reverb(48000, { size: 0.6, damping: 0.4, mix: 0.3 });
 * const block = new Float32Array(2 * 128); // L,R,L,R…
 * reverb.process(block, 0, 128);
 * ```
 */
export class Reverb {
  /** Sample rate in Hz. */
  readonly sampleRate: Hz = 0;
  /** Float64 slots needed by {@linkcode saveState}: {@linkcode reverbStateSize} of the rate. */
  readonly stateSize: number = 0;
  /** Line lengths in frames. */
  readonly #lengths = new Int32Array(LINES);
  /** All lines back to back. */
  readonly #lines: Float32Array;
  /** Start of each line in #lines. */
  readonly #offsets = new Int32Array(LINES);
  /** Read/write position in each line. */
  readonly #positions = new Int32Array(LINES);
  /** Loop gain of each line, from the size. */
  readonly #gains = new Float64Array(LINES);
  /** Damping low-pass state of each line. */
  readonly #lowpass = new Float64Array(LINES);
  readonly #v = new Float64Array(LINES);
  readonly #size: ParamSmoother;
  readonly #damping: ParamSmoother;
  readonly #mix: ParamSmoother;
  /** Pole of the loop low-pass at damping 1. */
  readonly #maxPole: number = 0;
  readonly #sizes = new Float64Array(SCRATCH_FRAMES);
  readonly #dampings = new Float64Array(SCRATCH_FRAMES);
  readonly #mixes = new Float64Array(SCRATCH_FRAMES);

  /**
   * A reverb with silent lines, allocated here, parameters settled.
   *
   * @param sampleRate sample rate in Hz.
   * @param options starting parameters and smoothing time.
   * @throws {RangeError} for an out-of-range rate or a non-finite option.
   */
  constructor(sampleRate: Hz, options: ReverbOptions = {}) {
    checkSampleRate(sampleRate);
    this.sampleRate = sampleRate;
    let total = 0;
    for (let j = 0; j < LINES; j++) {
      const frames = lineFrames(j, sampleRate);
      this.#lengths[j] = frames;
      this.#offsets[j] = total;
      total += frames;
    }
    this.#lines = new Float32Array(total);
    this.stateSize = OWN_STATE + total;
    this.#maxPole = Math.exp((-2 * Math.PI * REVERB_DAMPING_HZ) / sampleRate);
    const timeMs = options.smoothingMs ?? DEFAULT_SMOOTHING_MS;
    this.#size = new ParamSmoother(sampleRate, { timeMs });
    this.#damping = new ParamSmoother(sampleRate, { timeMs });
    this.#mix = new ParamSmoother(sampleRate, { timeMs });
    this.setSize(options.size ?? 0.5);
    this.setDamping(options.damping ?? 0.3);
    this.setMix(options.mix ?? 0.25);
    this.reset();
  }

  /** Current (smoothed) size, 0..1. */
  get size(): number {
    return this.#size.value;
  }

  /** Decay time in seconds at the current (smoothed) size, see {@linkcode reverbRt60}. */
  get rt60(): Seconds {
    return reverbRt60(this.#size.value);
  }

  /** Current (smoothed) damping, 0..1. */
  get damping(): number {
    return this.#damping.value;
  }

  /** Current (smoothed) mix, 0..1. */
  get mix(): number {
    return this.#mix.value;
  }

  /**
   * Glide the size to `size`, clamped to 0..1. Control side.
   * @throws {RangeError} if `size` is not finite.
   */
  setSize(size: number): void {
    checkFinite("size", size);
    this.#size.setTarget(size < 0 ? 0 : size > 1 ? 1 : size);
  }

  /**
   * Glide the damping to `damping`, clamped to 0..1. Control side.
   * @throws {RangeError} if `damping` is not finite.
   */
  setDamping(damping: number): void {
    checkFinite("damping", damping);
    this.#damping.setTarget(damping < 0 ? 0 : damping > 1 ? 1 : damping);
  }

  /**
   * Glide the mix to `mix`, clamped to 0 (dry) .. 1 (wet only). Control side.
   * @throws {RangeError} if `mix` is not finite.
   */
  setMix(mix: number): void {
    checkFinite("mix", mix);
    this.#mix.setTarget(mix < 0 ? 0 : mix > 1 ? 1 : mix);
  }

  /** Clear the lines and filters and settle every smoother. Control side. */
  reset(): void {
    this.#lines.fill(0);
    this.#positions.fill(0);
    this.#lowpass.fill(0);
    this.#size.reset(this.#size.target);
    this.#damping.reset(this.#damping.target);
    this.#mix.reset(this.#mix.target);
    this.#updateGains(this.#size.value);
  }

  /**
   * Process frames [start, end) of the interleaved stereo block `buf` in
   * place; the range is clamped to the block. Render loop; allocates nothing,
   * never throws.
   */
  process(buf: Float32Array, start: Frames, end: Frames): void {
    const frames = buf.length >> 1;
    const s = start > 0 ? (start < frames ? start | 0 : frames) : 0;
    const e = end > 0 ? (end < frames ? end | 0 : frames) : 0;
    const lines = this.#lines;
    const offsets = this.#offsets;
    const positions = this.#positions;
    const lengths = this.#lengths;
    const gains = this.#gains;
    const lowpass = this.#lowpass;
    const v = this.#v;
    const sizes = this.#sizes;
    const dampings = this.#dampings;
    const mixes = this.#mixes;
    const maxPole = this.#maxPole;
    const norm = 1 / Math.sqrt(LINES);
    // reverbRt60 and the line gains, written out (see _scratch.ts): the gain of
    // line j is exp(-decay·L_j) with decay = ln(1000) / (RT60·rate).
    const rt60Ratio = REVERB_MAX_RT60 / REVERB_MIN_RT60;
    const decayScale = LN_1000 / (REVERB_MIN_RT60 * this.sampleRate);
    let bad = 0;
    for (let c = s; c < e; c += SCRATCH_FRAMES) {
      const n = e - c < SCRATCH_FRAMES ? e - c : SCRATCH_FRAMES;
      const gliding = !this.#size.isSettled;
      if (gliding) this.#size.fill(sizes, 0, n);
      this.#damping.fill(dampings, 0, n);
      this.#mix.fill(mixes, 0, n);
      for (let i = 0; i < n; i++) {
        if (gliding) {
          const decay = decayScale / Math.pow(rt60Ratio, sizes[i] as number);
          for (let j = 0; j < LINES; j++) gains[j] = Math.exp(-decay * (lengths[j] as number));
        }
        const pole = (dampings[i] as number) * maxPole;
        let wetL = 0;
        let wetR = 0;
        for (let j = 0; j < LINES; j++) {
          const x = lines[(offsets[j] as number) + (positions[j] as number)] as number;
          const lp = x + pole * ((lowpass[j] as number) - x);
          lowpass[j] = lp > -FLUSH_LEVEL && lp < FLUSH_LEVEL ? 0 : lp;
          const y = lp * (gains[j] as number);
          v[j] = y;
          if ((j & 1) === 0) wetL += y;
          else wetR += y;
        }
        // Fast Walsh–Hadamard transform of v, in place, then scaled to orthonormal.
        for (let h = 1; h < LINES; h <<= 1) {
          for (let k = 0; k < LINES; k += h << 1) {
            for (let m = k; m < k + h; m++) {
              const a = v[m] as number;
              const b = v[m + h] as number;
              v[m] = a + b;
              v[m + h] = a - b;
            }
          }
        }
        const o = 2 * (c + i);
        const inL = buf[o] as number;
        const inR = buf[o + 1] as number;
        for (let j = 0; j < LINES; j++) {
          let x = (v[j] as number) * norm + ((j & 1) === 0 ? inL : inR);
          if (x > -FLUSH_LEVEL && x < FLUSH_LEVEL) x = 0;
          const p = positions[j] as number;
          lines[(offsets[j] as number) + p] = x;
          positions[j] = p + 1 === lengths[j] ? 0 : p + 1;
        }
        const m = mixes[i] as number;
        const yL = inL + m * (wetL * OUTPUT_GAIN - inL);
        const yR = inR + m * (wetR * OUTPUT_GAIN - inR);
        bad += yL - yL + (yR - yR);
        buf[o] = yL;
        buf[o + 1] = yR;
      }
    }
    if (bad !== 0) {
      if (e > s) buf.fill(0, 2 * s, 2 * e);
      this.reset();
    }
  }

  /**
   * Write the complete state — smoothers, read positions, loop gains, damping
   * filters and every line frame — to `dst` at `offset` ({@linkcode stateSize}
   * slots); returns the offset after it. A reverb of the same rate loaded
   * from it continues bit-identically. Control side.
   * @throws {RangeError} if `dst` is too short.
   */
  saveState(dst: Float64Array, offset: number): number {
    checkStateRange(dst, offset, this.stateSize);
    let o = this.#size.saveState(dst, offset);
    o = this.#damping.saveState(dst, o);
    o = this.#mix.saveState(dst, o);
    dst.set(this.#positions, o);
    dst.set(this.#gains, o + LINES);
    dst.set(this.#lowpass, o + 2 * LINES);
    dst.set(this.#lines, o + 3 * LINES);
    return offset + this.stateSize;
  }

  /**
   * Read the state written by {@linkcode saveState} of a reverb of the same
   * rate; returns the offset after it. Values a valid snapshot cannot hold
   * are repaired: smoothers clamped to 0..1, a position outside its line to
   * 0, loop gains outside 0..1 recomputed from the size, line and filter
   * values that are non-finite or beyond ±{@linkcode REVERB_STATE_LIMIT} to
   * 0. Control side.
   * @throws {RangeError} if `src` is too short.
   */
  loadState(src: Float64Array, offset: number): number {
    checkStateRange(src, offset, this.stateSize);
    let o = loadSmootherClamped(this.#size, src, offset, 0, 1);
    o = loadSmootherClamped(this.#damping, src, o, 0, 1);
    o = loadSmootherClamped(this.#mix, src, o, 0, 1);
    let gainsOk = true;
    for (let j = 0; j < LINES; j++) {
      const p = src[o + j] as number;
      this.#positions[j] = Number.isInteger(p) && p >= 0 && p < (this.#lengths[j] as number)
        ? p
        : 0;
      const g = src[o + LINES + j] as number;
      this.#gains[j] = g;
      if (!(g >= 0 && g <= 1)) gainsOk = false;
      const lp = src[o + 2 * LINES + j] as number;
      this.#lowpass[j] = lp >= -REVERB_STATE_LIMIT && lp <= REVERB_STATE_LIMIT ? lp : 0;
    }
    if (!gainsOk) this.#updateGains(this.#size.value);
    o += 3 * LINES;
    const lines = this.#lines;
    for (let i = 0; i < lines.length; i++) {
      const x = src[o + i] as number;
      lines[i] = x >= -REVERB_STATE_LIMIT && x <= REVERB_STATE_LIMIT ? x : 0;
    }
    return o + lines.length;
  }

  /** Line gains for `size` (already clamped). */
  #updateGains(size: number): void {
    const decay = LN_1000 / (reverbRt60(size) * this.sampleRate);
    for (let j = 0; j < LINES; j++) {
      this.#gains[j] = Math.exp(-decay * (this.#lengths[j] as number));
    }
  }
}
