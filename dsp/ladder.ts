/**
 * 24 dB/octave ladder low-pass: four topology-preserving (trapezoidal)
 * one-pole low-passes in a loop with negative feedback k, after Zavalishin,
 * "The Art of VA Filter Design", ch. 5 (the zero-delay feedback solved
 * exactly each sample).
 *
 * Linear model: each stage is the bilinear transform of 1 / (1 + s) with the
 * cutoff prewarped, and the whole filter of H(s) = 1 / ((1 + s)⁴ + k), so
 * {@linkcode ladderMagnitude} is exact for the linear filter (and for the
 * saturating one at small levels). The gain at DC is 1 / (1 + k): like the
 * analog ladder, the pass band gets quieter as the resonance rises.
 *
 * Resonance r in 0..1 maps to k = {@linkcode LADDER_MAX_FEEDBACK}·r. The loop
 * is lossless at k = 4, reached at r = {@linkcode LADDER_SELF_OSCILLATION}
 * (≈ 0.952); above it the filter self-oscillates near the cutoff once anything
 * excites it.
 * - With saturation on (the default) the loop input is tanh(x − k·y): levels
 *   near 1 and above are compressed (a unit sine in the pass band comes out
 *   at about 0.75), and self-oscillation settles at a fixed level (peaks about
 *   0.1 at r = 1).
 * - With saturation off the filter is exactly linear while |x − k·y| stays
 *   below {@linkcode LADDER_LOOP_LIMIT}; the loop input is hard-clipped there,
 *   which keeps the filter bounded for any parameters, self-oscillation
 *   included (it then peaks at about 4, a loud clipped sine).
 *
 * @module
 */

import { checkFinite, checkSampleRate } from "./_checks.ts";
import { SCRATCH_FRAMES } from "./_scratch.ts";
import { DEFAULT_SMOOTHING_MS, ParamSmoother, SMOOTHER_STATE_SIZE } from "./smoother.ts";
import {
  clampCutoff,
  SVF_FLUSH_LEVEL,
  SVF_MAX_CUTOFF_RATIO,
  SVF_MIN_CUTOFF,
} from "./svf_lowpass.ts";
import type { Hz, Milliseconds } from "./units.ts";

/** Loop feedback k at resonance 1. */
export const LADDER_MAX_FEEDBACK = 4.2;
/** Resonance at which k = 4: the linear loop is lossless at its peak (self-oscillation threshold). */
export const LADDER_SELF_OSCILLATION: number = 4 / LADDER_MAX_FEEDBACK;
/** Without saturation, the loop input is clipped to ± this level (a safety bound). */
export const LADDER_LOOP_LIMIT = 16;
/** Number of float64 slots used by {@linkcode LadderFilter.saveState}. */
export const LADDER_STATE_SIZE = 5 + 2 * SMOOTHER_STATE_SIZE;

/**
 * Loop feedback k for `resonance` (clamped to 0..1): k = 4.2·resonance.
 *
 * @throws {RangeError} if `resonance` is NaN.
 *
 * @example
 * ```ts
 * import { ladderFeedback } from "./ladder.ts";
 * ladderFeedback(0.5); // 2.1
 * ```
 */
export function ladderFeedback(resonance: number): number {
  if (Number.isNaN(resonance)) throw new RangeError("resonance must be between 0 and 1, got NaN");
  return LADDER_MAX_FEEDBACK * (resonance < 0 ? 0 : resonance > 1 ? 1 : resonance);
}

/**
 * Magnitude (linear) of the linear ladder at `freqHz` in [0, rate/2]:
 * 1 / |(1 + jw)⁴ + k| with w = tan(π·f/rate) / tan(π·cutoff/rate), the
 * cutoff clamped to [20 Hz, 0.45·rate] and k = {@linkcode ladderFeedback}.
 * A steady-state gain only below {@linkcode LADDER_SELF_OSCILLATION}.
 *
 * @throws {RangeError} for a frequency outside [0, rate/2], a non-finite
 * cutoff, a NaN resonance or an out-of-range rate.
 *
 * @example
 * ```ts
 * import { ladderMagnitude } from "./ladder.ts";
 * ladderMagnitude(0, 1000, 0, 48000); // 1
 * ladderMagnitude(1000, 1000, 0, 48000); // 0.25 (-12 dB at the cutoff)
 * ```
 */
export function ladderMagnitude(freqHz: Hz, cutoffHz: Hz, resonance: number, rate: Hz): number {
  checkSampleRate(rate);
  checkFinite("cutoff", cutoffHz);
  const k = ladderFeedback(resonance);
  if (!(freqHz >= 0 && freqHz <= rate / 2)) {
    throw new RangeError(`frequency must be between 0 and ${rate / 2} Hz, got ${freqHz}`);
  }
  if (freqHz === rate / 2) return 0;
  const g = Math.tan((Math.PI * clampCutoff(cutoffHz, rate)) / rate);
  const w = Math.tan((Math.PI * freqHz) / rate) / g;
  // (1 + jw)⁴ = 1 − 6w² + w⁴ + j(4w − 4w³)
  const w2 = w * w;
  const re = 1 - 6 * w2 + w2 * w2 + k;
  const im = 4 * w * (1 - w2);
  return 1 / Math.sqrt(re * re + im * im);
}

/** Options of {@linkcode LadderFilter}. */
export interface LadderFilterOptions {
  /** Starting cutoff in Hz; default 1000. */
  readonly cutoffHz?: Hz;
  /** Starting resonance 0..1, see {@linkcode ladderFeedback}; default 0. */
  readonly resonance?: number;
  /** tanh saturation of the loop input; default true. */
  readonly saturation?: boolean;
  /** Smoothing time constant of cutoff and resonance in ms; default 5; 0 = none. */
  readonly smoothingMs?: Milliseconds;
}

/**
 * 4-pole (24 dB/octave) ladder low-pass with smoothed cutoff (Hz) and
 * resonance (0..1, up to self-oscillation), optional tanh saturation and
 * per-sample cutoff modulation in octaves, see the module doc. Stable for any
 * parameter values, cutoff modulated at audio rate included. States below
 * {@linkcode SVF_FLUSH_LEVEL} are flushed to 0; non-finite input samples are
 * read as 0.
 *
 * Setters, {@linkcode reset}, {@linkcode saveState} and {@linkcode loadState}
 * are called by the control side between sub-blocks; {@linkcode process} by
 * the render loop, where it neither allocates nor throws.
 *
 * @example
 * ```ts
 * import { LadderFilter } from "./ladder.ts";
 * const lp = new LadderFilter(48000, { cutoffHz: 800, resonance: 0.7 });
 * const block = new Float64Array(128).fill(0.5);
 * lp.process(block, 0, 128); // in place
 * ```
 */
export class LadderFilter {
  /** Sample rate in Hz. */
  readonly sampleRate: Hz = 0;
  /** Float64 slots needed by {@linkcode saveState} ({@linkcode LADDER_STATE_SIZE}). */
  readonly stateSize: number = LADDER_STATE_SIZE;
  readonly #cutoff: ParamSmoother;
  readonly #resonance: ParamSmoother;
  #s1 = 0;
  #s2 = 0;
  #s3 = 0;
  #s4 = 0;
  /** 1 = tanh saturation, 0 = linear with the loop input clipped. */
  #saturation = 1;
  readonly #cutoffs = new Float64Array(SCRATCH_FRAMES);
  readonly #resonances = new Float64Array(SCRATCH_FRAMES);
  readonly #one = new Float64Array(1);

  /**
   * @param sampleRate sample rate in Hz.
   * @param options starting cutoff, resonance, saturation and smoothing time.
   * @throws {RangeError} for an out-of-range rate or a non-finite option.
   */
  constructor(sampleRate: Hz, options: LadderFilterOptions = {}) {
    checkSampleRate(sampleRate);
    this.sampleRate = sampleRate;
    const timeMs = options.smoothingMs ?? DEFAULT_SMOOTHING_MS;
    this.#cutoff = new ParamSmoother(sampleRate, { timeMs, initial: SVF_MIN_CUTOFF });
    this.#resonance = new ParamSmoother(sampleRate, { timeMs, initial: 0 });
    this.setCutoff(options.cutoffHz ?? 1000);
    this.setResonance(options.resonance ?? 0);
    this.setSaturation(options.saturation ?? true);
    this.reset();
  }

  /** Current (smoothed) cutoff in Hz, before modulation. */
  get cutoff(): Hz {
    return this.#cutoff.value;
  }

  /** Current (smoothed) resonance, 0..1. */
  get resonance(): number {
    return this.#resonance.value;
  }

  /** True when the loop input is tanh-saturated. */
  get saturation(): boolean {
    return this.#saturation === 1;
  }

  /**
   * Glide the cutoff to `hz`, clamped to [20 Hz, 0.45·rate]. Control side.
   * @throws {RangeError} if `hz` is not finite.
   */
  setCutoff(hz: Hz): void {
    checkFinite("cutoff", hz);
    this.#cutoff.setTarget(clampCutoff(hz, this.sampleRate));
  }

  /**
   * Glide the resonance to `resonance`, clamped to 0..1. Control side.
   * @throws {RangeError} if `resonance` is not finite.
   */
  setResonance(resonance: number): void {
    checkFinite("resonance", resonance);
    this.#resonance.setTarget(resonance < 0 ? 0 : resonance > 1 ? 1 : resonance);
  }

  /** Turn tanh saturation of the loop input on or off. Control side. */
  setSaturation(on: boolean): void {
    this.#saturation = on ? 1 : 0;
  }

  /** Clear the stages and jump cutoff and resonance to their targets. Control side. */
  reset(): void {
    this.#s1 = 0;
    this.#s2 = 0;
    this.#s3 = 0;
    this.#s4 = 0;
    this.#cutoff.reset(this.#cutoff.target);
    this.#resonance.reset(this.#resonance.target);
  }

  /** Filter one sample `x` (a one-frame {@linkcode process}). For tests and control rate. */
  next(x: number): number {
    const one = this.#one;
    one[0] = x;
    this.process(one, 0, 1);
    return one[0] as number;
  }

  /**
   * Filter `buf[start..end)` in place. With `modOctaves`, sample i uses the
   * cutoff · 2^modOctaves[i] (same indices as `buf`), clamped to
   * [20 Hz, 0.45·rate]; NaN offsets give 20 Hz. Render loop; allocates nothing.
   */
  process(buf: Float64Array, start: number, end: number, modOctaves?: Float64Array): void {
    for (let c = start; c < end; c += SCRATCH_FRAMES) {
      const n = end - c < SCRATCH_FRAMES ? end - c : SCRATCH_FRAMES;
      const perSample = modOctaves !== undefined || !this.#cutoff.isSettled;
      const resGliding = !this.#resonance.isSettled;
      this.#cutoff.fill(this.#cutoffs, 0, n);
      this.#resonance.fill(this.#resonances, 0, n);
      this.#run(buf, c, n, perSample || resGliding, modOctaves);
    }
    // Only an overflow can get here with a non-finite state: start again from silence.
    const finite = this.#s1 - this.#s1 === 0 && this.#s2 - this.#s2 === 0 &&
      this.#s3 - this.#s3 === 0 && this.#s4 - this.#s4 === 0;
    if (!finite) {
      this.#s1 = 0;
      this.#s2 = 0;
      this.#s3 = 0;
      this.#s4 = 0;
    }
  }

  /**
   * Filter `buf[c..c+n)` with the scratch cutoffs and resonances; the stage
   * gain and feedback are recomputed per sample only when `perSample`
   * (something glides or is modulated).
   */
  #run(
    buf: Float64Array,
    c: number,
    n: number,
    perSample: boolean,
    mod: Float64Array | undefined,
  ): void {
    const rate = this.sampleRate;
    const hi = SVF_MAX_CUTOFF_RATIO * rate;
    const cutoffs = this.#cutoffs;
    const resonances = this.#resonances;
    const saturate = this.#saturation === 1;
    const g0 = Math.tan((Math.PI * (cutoffs[0] as number)) / rate);
    const G0 = g0 / (1 + g0);
    const r0 = resonances[0] as number;
    const k0 = LADDER_MAX_FEEDBACK * (r0 < 0 ? 0 : r0 > 1 ? 1 : r0);
    const inv0 = 1 / (1 + k0 * G0 * G0 * G0 * G0);
    let s1 = this.#s1;
    let s2 = this.#s2;
    let s3 = this.#s3;
    let s4 = this.#s4;
    for (let i = 0; i < n; i++) {
      // Literals 20 (SVF_MIN_CUTOFF) and 16 (LADDER_LOOP_LIMIT): a conditional that
      // mixes a module constant with a computed double boxes the double.
      let G = G0;
      let k = k0;
      let inv = inv0;
      if (perSample) {
        let fc = cutoffs[i] as number;
        if (mod !== undefined) {
          fc *= Math.pow(2, mod[c + i] as number);
          fc = fc > 20 ? (fc < hi ? fc : hi) : 20;
        }
        const g = Math.tan((Math.PI * fc) / rate);
        G = g / (1 + g);
        const r = resonances[i] as number;
        k = LADDER_MAX_FEEDBACK * (r < 0 ? 0 : r > 1 ? 1 : r);
        inv = 1 / (1 + k * G * G * G * G);
      }
      const x0 = buf[c + i] as number;
      const x = x0 - x0 === 0 ? x0 : 0;
      // Each stage is y = G·in + (1 − G)·s; solve the loop for the last output.
      const G2 = G * G;
      const sum = (1 - G) * (G2 * G * s1 + G2 * s2 + G * s3 + s4);
      const y = (G2 * G2 * x + sum) * inv;
      const v = x - k * y;
      const u = saturate ? Math.tanh(v) : v > -16 ? (v < 16 ? v : 16) : -16;
      let d = (u - s1) * G;
      const y1 = d + s1;
      const n1 = y1 + d;
      d = (y1 - s2) * G;
      const y2 = d + s2;
      const n2 = y2 + d;
      d = (y2 - s3) * G;
      const y3 = d + s3;
      const n3 = y3 + d;
      d = (y3 - s4) * G;
      const y4 = d + s4;
      const n4 = y4 + d;
      s1 = n1 > SVF_FLUSH_LEVEL || n1 < -SVF_FLUSH_LEVEL ? n1 : 0;
      s2 = n2 > SVF_FLUSH_LEVEL || n2 < -SVF_FLUSH_LEVEL ? n2 : 0;
      s3 = n3 > SVF_FLUSH_LEVEL || n3 < -SVF_FLUSH_LEVEL ? n3 : 0;
      s4 = n4 > SVF_FLUSH_LEVEL || n4 < -SVF_FLUSH_LEVEL ? n4 : 0;
      buf[c + i] = y4;
    }
    this.#s1 = s1;
    this.#s2 = s2;
    this.#s3 = s3;
    this.#s4 = s4;
  }

  /** Write the state to `dst` at `offset`; returns the offset after it. */
  saveState(dst: Float64Array, offset: number): number {
    dst[offset] = this.#s1;
    dst[offset + 1] = this.#s2;
    dst[offset + 2] = this.#s3;
    dst[offset + 3] = this.#s4;
    dst[offset + 4] = this.#saturation;
    return this.#resonance.saveState(dst, this.#cutoff.saveState(dst, offset + 5));
  }

  /**
   * Read the state written by {@linkcode saveState}; returns the offset after
   * it. Values are not checked: the owner guards against non-finite state.
   */
  loadState(src: Float64Array, offset: number): number {
    this.#s1 = src[offset] ?? 0;
    this.#s2 = src[offset + 1] ?? 0;
    this.#s3 = src[offset + 2] ?? 0;
    this.#s4 = src[offset + 3] ?? 0;
    this.#saturation = src[offset + 4] === 0 ? 0 : 1;
    return this.#resonance.loadState(src, this.#cutoff.loadState(src, offset + 5));
  }
}
