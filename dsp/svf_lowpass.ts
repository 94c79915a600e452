/**
 * Resonant 2-pole low-pass: a topology-preserving (trapezoidal-integrator)
 * state-variable filter after Zavalishin, "The Art of VA Filter Design", in
 * the form given by Andrew Simper (Cytomic, "SvfLinearTrapOptimised2").
 *
 * Its transfer function is the analog prototype H(s) = 1 / (s² + s/Q + 1)
 * under the bilinear transform with the cutoff prewarped, so
 * {@linkcode svfLowpassMagnitude} is exact. Because the state is kept as the
 * integrators' equivalent currents rather than as past outputs, the filter
 * stays well-behaved when cutoff and Q change every sample.
 *
 * @module
 */

import { checkFinite, checkSampleRate } from "./_checks.ts";
import { SCRATCH_FRAMES } from "./_scratch.ts";
import { DEFAULT_SMOOTHING_MS, ParamSmoother, SMOOTHER_STATE_SIZE } from "./smoother.ts";
import type { Hz, Milliseconds } from "./units.ts";

/** Lowest cutoff in Hz. */
export const SVF_MIN_CUTOFF: Hz = 20;
/** Highest cutoff as a fraction of the sample rate. */
export const SVF_MAX_CUTOFF_RATIO = 0.45;
/** Q at resonance 0: Butterworth, 1/√2. */
export const SVF_MIN_Q: number = Math.SQRT1_2;
/** Q at resonance 1. */
export const SVF_MAX_Q = 20;
/** Integrator states smaller than this in magnitude are flushed to 0 (denormal guard). */
export const SVF_FLUSH_LEVEL = 1e-20;

/** Coefficients of the trapezoidal SVF, see {@linkcode svfCoefficients}. */
export interface SvfCoefficients {
  /** Prewarped integrator gain, tan(π·cutoff / rate). */
  readonly g: number;
  /** Damping, 1 / Q. */
  readonly k: number;
  /** 1 / (1 + g·(g + k)). */
  readonly a1: number;
  /** g·a1. */
  readonly a2: number;
  /** g·a2. */
  readonly a3: number;
}

/**
 * Clamp a cutoff in Hz to [{@linkcode SVF_MIN_CUTOFF}, {@linkcode SVF_MAX_CUTOFF_RATIO}·rate].
 *
 * @example
 * ```ts
 * import { clampCutoff } from "./svf_lowpass.ts";
 * clampCutoff(30000, 48000); // 21600
 * ```
 */
export function clampCutoff(cutoffHz: Hz, rate: Hz): Hz {
  const max = SVF_MAX_CUTOFF_RATIO * rate;
  return cutoffHz < SVF_MIN_CUTOFF ? SVF_MIN_CUTOFF : cutoffHz > max ? max : cutoffHz;
}

/**
 * Map resonance 0..1 (clamped) to Q exponentially: 0 → 1/√2 (Butterworth),
 * 1 → {@linkcode SVF_MAX_Q}, Q = (1/√2)·(20·√2)^resonance.
 *
 * @throws {RangeError} if `resonance` is NaN.
 *
 * @example
 * ```ts
 * import { resonanceToQ } from "./svf_lowpass.ts";
 * resonanceToQ(0); // 0.7071…
 * resonanceToQ(1); // 20
 * ```
 */
export function resonanceToQ(resonance: number): number {
  if (Number.isNaN(resonance)) throw new RangeError("resonance must be between 0 and 1, got NaN");
  return qOfResonance(resonance);
}

/** Q at resonance 1 over Q at resonance 0. */
const Q_RATIO = SVF_MAX_Q / SVF_MIN_Q;

/**
 * resonanceToQ without the check: NaN gives NaN, never throws. Written out
 * again inside SvfLowpass.process (keep the two identical).
 */
function qOfResonance(resonance: number): number {
  const r = resonance < 0 ? 0 : resonance > 1 ? 1 : resonance;
  return r === 1 ? SVF_MAX_Q : SVF_MIN_Q * Math.pow(Q_RATIO, r);
}

function checkQ(q: number): void {
  if (!(q > 0 && q < Infinity)) throw new RangeError(`Q must be a finite number > 0, got ${q}`);
}

/**
 * Coefficients of the trapezoidal SVF for `cutoffHz` (clamped, see
 * {@linkcode clampCutoff}) and quality factor `q` at `rate` Hz.
 *
 * @throws {RangeError} for a non-finite cutoff, Q <= 0 or an out-of-range rate.
 *
 * @example
 * ```ts
 * import { svfCoefficients } from "./svf_lowpass.ts";
 * const { g, k } = svfCoefficients(1000, Math.SQRT1_2, 48000);
 * ```
 */
export function svfCoefficients(cutoffHz: Hz, q: number, rate: Hz): SvfCoefficients {
  checkSampleRate(rate);
  checkFinite("cutoff", cutoffHz);
  checkQ(q);
  const g = Math.tan((Math.PI * clampCutoff(cutoffHz, rate)) / rate);
  const k = 1 / q;
  const a1 = 1 / (1 + g * (g + k));
  const a2 = g * a1;
  return { g, k, a1, a2, a3: g * a2 };
}

/**
 * Exact magnitude (linear) of the discrete filter at `freqHz` in
 * [0, rate/2]: the analog 2-pole low-pass with prewarped cutoff,
 * 1 / √((1 - w²)² + (w/Q)²) where w = tan(π·f/rate) / tan(π·cutoff/rate).
 *
 * @throws {RangeError} for a frequency outside [0, rate/2], a non-finite cutoff,
 * Q <= 0 or an out-of-range rate.
 *
 * @example
 * ```ts
 * import { svfLowpassMagnitude } from "./svf_lowpass.ts";
 * svfLowpassMagnitude(1000, 1000, 4, 48000); // 4 (= Q at the cutoff)
 * ```
 */
export function svfLowpassMagnitude(freqHz: Hz, cutoffHz: Hz, q: number, rate: Hz): number {
  checkSampleRate(rate);
  checkFinite("cutoff", cutoffHz);
  checkQ(q);
  if (!(freqHz >= 0 && freqHz <= rate / 2)) {
    throw new RangeError(`frequency must be between 0 and ${rate / 2} Hz, got ${freqHz}`);
  }
  if (freqHz === rate / 2) return 0;
  const g = Math.tan((Math.PI * clampCutoff(cutoffHz, rate)) / rate);
  const w = Math.tan((Math.PI * freqHz) / rate) / g;
  const re = 1 - w * w;
  const im = w / q;
  return 1 / Math.sqrt(re * re + im * im);
}

/** Number of float64 slots used by {@linkcode SvfLowpass.saveState}. */
export const SVF_STATE_SIZE = 5 + 2 * SMOOTHER_STATE_SIZE;

/** Options of {@linkcode SvfLowpass}. */
export interface SvfLowpassOptions {
  /** Starting cutoff in Hz; default 1000. */
  readonly cutoffHz?: Hz;
  /** Starting resonance 0..1; default 0. */
  readonly resonance?: number;
  /** Smoothing time constant of cutoff and resonance in ms; default 5; 0 = none. */
  readonly smoothingMs?: Milliseconds;
}

/**
 * Resonant trapezoidal SVF low-pass with smoothed cutoff (Hz, linear glide)
 * and resonance (0..1, mapped by {@linkcode resonanceToQ}). Coefficients are
 * recomputed only while a smoother is moving. Integrator states below
 * {@linkcode SVF_FLUSH_LEVEL} are flushed to 0.
 *
 * @example
 * ```ts
 * import { SvfLowpass } from "./svf_lowpass.ts";
 * const lp = new SvfLowpass(48000, { cutoffHz: 800, resonance: 0.5 });
 * const block = new Float64Array(128);
 * block[0] = 1;
 * lp.process(block, 0, 128); // impulse response, in place
 * ```
 */
export class SvfLowpass {
  /** Sample rate in Hz. */
  readonly sampleRate: Hz = 0;
  readonly #cutoff: ParamSmoother;
  readonly #resonance: ParamSmoother;
  #ic1 = 0;
  #ic2 = 0;
  #a1 = 0;
  #a2 = 0;
  #a3 = 0;
  readonly #cutoffs = new Float64Array(SCRATCH_FRAMES);
  readonly #resonances = new Float64Array(SCRATCH_FRAMES);
  readonly #one = new Float64Array(1);

  /**
   * @param sampleRate sample rate in Hz.
   * @param options starting cutoff, resonance and smoothing time.
   * @throws {RangeError} for an out-of-range rate or a non-finite option.
   */
  constructor(sampleRate: Hz, options: SvfLowpassOptions = {}) {
    checkSampleRate(sampleRate);
    this.sampleRate = sampleRate;
    const timeMs = options.smoothingMs ?? DEFAULT_SMOOTHING_MS;
    this.#cutoff = new ParamSmoother(sampleRate, { timeMs, initial: SVF_MIN_CUTOFF });
    this.#resonance = new ParamSmoother(sampleRate, { timeMs, initial: 0 });
    this.setCutoff(options.cutoffHz ?? 1000);
    this.setResonance(options.resonance ?? 0);
    this.reset();
  }

  /** Current (smoothed) cutoff in Hz. */
  get cutoff(): Hz {
    return this.#cutoff.value;
  }

  /** Current (smoothed) resonance, 0..1. */
  get resonance(): number {
    return this.#resonance.value;
  }

  /** Current Q, from the smoothed resonance. */
  get q(): number {
    return qOfResonance(this.#resonance.value);
  }

  /**
   * Glide the cutoff to `hz`, clamped by {@linkcode clampCutoff}. Control side.
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

  /** Clear the integrators and jump cutoff and resonance to their targets. Control side. */
  reset(): void {
    this.#ic1 = 0;
    this.#ic2 = 0;
    this.#cutoff.reset(this.#cutoff.target);
    this.#resonance.reset(this.#resonance.target);
    this.#updateCoefficients();
  }

  /** Filter one sample `x` (a one-frame {@linkcode process}). For tests and control rate. */
  next(x: number): number {
    const one = this.#one;
    one[0] = x;
    this.process(one, 0, 1);
    return one[0] as number;
  }

  /** Filter `buf[start..end)` in place. Render loop; allocates nothing. */
  process(buf: Float64Array, start: number, end: number): void {
    const rate = this.sampleRate;
    const cutoffs = this.#cutoffs;
    const resonances = this.#resonances;
    let ic1 = this.#ic1;
    let ic2 = this.#ic2;
    let a1 = this.#a1;
    let a2 = this.#a2;
    let a3 = this.#a3;
    for (let c = start; c < end; c += SCRATCH_FRAMES) {
      const n = end - c < SCRATCH_FRAMES ? end - c : SCRATCH_FRAMES;
      const gliding = !this.#cutoff.isSettled || !this.#resonance.isSettled;
      if (gliding) {
        this.#cutoff.fill(cutoffs, 0, n);
        this.#resonance.fill(resonances, 0, n);
      }
      for (let i = 0; i < n; i++) {
        if (gliding) {
          // svfCoefficients(cutoff, qOfResonance(r)), written out: see _scratch.ts.
          const g = Math.tan((Math.PI * (cutoffs[i] as number)) / rate);
          const r0 = resonances[i] as number;
          const r = r0 < 0 ? 0 : r0 > 1 ? 1 : r0;
          const k = 1 / (r === 1 ? 20 : Math.SQRT1_2 * Math.pow(Q_RATIO, r));
          a1 = 1 / (1 + g * (g + k));
          a2 = g * a1;
          a3 = g * a2;
        }
        const v3 = (buf[c + i] as number) - ic2;
        const v1 = a1 * ic1 + a2 * v3;
        const v2 = ic2 + a2 * ic1 + a3 * v3;
        const n1 = 2 * v1 - ic1;
        const n2 = 2 * v2 - ic2;
        ic1 = n1 > SVF_FLUSH_LEVEL || n1 < -SVF_FLUSH_LEVEL ? n1 : 0;
        ic2 = n2 > SVF_FLUSH_LEVEL || n2 < -SVF_FLUSH_LEVEL ? n2 : 0;
        buf[c + i] = v2;
      }
    }
    this.#ic1 = ic1;
    this.#ic2 = ic2;
    this.#a1 = a1;
    this.#a2 = a2;
    this.#a3 = a3;
  }

  /** Write the state to `dst` at `offset`; returns the offset after it. */
  saveState(dst: Float64Array, offset: number): number {
    dst[offset] = this.#ic1;
    dst[offset + 1] = this.#ic2;
    dst[offset + 2] = this.#a1;
    dst[offset + 3] = this.#a2;
    dst[offset + 4] = this.#a3;
    return this.#resonance.saveState(dst, this.#cutoff.saveState(dst, offset + 5));
  }

  /** Read the state written by {@linkcode saveState}; returns the offset after it. */
  loadState(src: Float64Array, offset: number): number {
    this.#ic1 = src[offset] ?? 0;
    this.#ic2 = src[offset + 1] ?? 0;
    this.#a1 = src[offset + 2] ?? 0;
    this.#a2 = src[offset + 3] ?? 0;
    this.#a3 = src[offset + 4] ?? 0;
    return this.#resonance.loadState(src, this.#cutoff.loadState(src, offset + 5));
  }

  /** Coefficients from the current smoothed cutoff (already clamped) and resonance. */
  #updateCoefficients(): void {
    const g = Math.tan((Math.PI * this.#cutoff.value) / this.sampleRate);
    const k = 1 / qOfResonance(this.#resonance.value);
    const a1 = 1 / (1 + g * (g + k));
    const a2 = g * a1;
    this.#a1 = a1;
    this.#a2 = a2;
    this.#a3 = g * a2;
  }
}
