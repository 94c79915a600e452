/**
 * Wavetable sine oscillator: a shared precomputed table read with linear
 * interpolation by a float64 phase accumulator, so no `Math.sin` per sample.
 *
 * @module
 */

import { checkFinite, checkSampleRate } from "./_checks.ts";
import { SCRATCH_FRAMES } from "./_scratch.ts";
import { DEFAULT_SMOOTHING_MS, ParamSmoother, SMOOTHER_STATE_SIZE } from "./smoother.ts";
import type { Hz, Milliseconds } from "./units.ts";

/**
 * Points per sine period in the shared table (plus one guard point). With
 * linear interpolation the worst-case error is (π/4096)²/2 ≈ 2.9e-7 of full
 * scale, about -130 dB.
 */
export const SINE_TABLE_SIZE = 4096;

/** One period of sin(2πx) at SINE_TABLE_SIZE points, plus a guard point equal to point 0. */
const TABLE: Float64Array = (() => {
  const t = new Float64Array(SINE_TABLE_SIZE + 1);
  for (let i = 0; i < SINE_TABLE_SIZE; i++) t[i] = Math.sin((2 * Math.PI * i) / SINE_TABLE_SIZE);
  t[SINE_TABLE_SIZE] = t[0] ?? 0;
  return t;
})();

/**
 * sin(2π·phase) from the shared table, linearly interpolated. `phase` is in
 * cycles and must be in [0, 1); outside that range the result is undefined.
 *
 * @example
 * ```ts
 * import { sineTableLookup } from "./sine.ts";
 * sineTableLookup(0.25); // 1
 * ```
 */
export function sineTableLookup(phase: number): number {
  const x = phase * SINE_TABLE_SIZE;
  const i = x | 0;
  const a = TABLE[i] as number;
  return a + (x - i) * ((TABLE[i + 1] as number) - a);
}

/** Number of float64 slots used by {@linkcode SineOscillator.saveState}. */
export const SINE_STATE_SIZE = 1 + 2 * SMOOTHER_STATE_SIZE;

/** Options of {@linkcode SineOscillator}. */
export interface SineOscillatorOptions {
  /** Starting frequency in Hz; default 440. */
  readonly frequency?: Hz;
  /** Starting linear gain; default 1. */
  readonly gain?: number;
  /** Starting phase in cycles, [0, 1); default 0. */
  readonly phase?: number;
  /** Smoothing time constant of frequency and gain in ms; default 5. */
  readonly smoothingMs?: Milliseconds;
}

/**
 * Sine oscillator with smoothed frequency (Hz) and linear gain. Frequency is
 * clamped to [0, sampleRate / 2]. The phase stays in [0, 1) cycles.
 *
 * @example
 * ```ts
 * import { SineOscillator } from "./sine.ts";
 * const osc = new SineOscillator(48000, { frequency: 440, gain: 0.5 });
 * const block = new Float64Array(128);
 * osc.process(block, 0, 128);
 * ```
 */
export class SineOscillator {
  /** Sample rate in Hz. */
  readonly sampleRate: Hz = 0;
  // Numeric fields get numeric initialisers: a field that starts out undefined
  // becomes "tagged" in V8 and then every double stored into it allocates.
  readonly #invRate: number = 0;
  readonly #freq: ParamSmoother;
  readonly #gain: ParamSmoother;
  #phase = 0;
  readonly #freqs = new Float64Array(SCRATCH_FRAMES);
  readonly #gains = new Float64Array(SCRATCH_FRAMES);
  readonly #one = new Float64Array(1);

  /**
   * @param sampleRate sample rate in Hz.
   * @param options starting values and smoothing time.
   * @throws {RangeError} for an out-of-range rate or a non-finite option.
   */
  constructor(sampleRate: Hz, options: SineOscillatorOptions = {}) {
    checkSampleRate(sampleRate);
    this.sampleRate = sampleRate;
    this.#invRate = 1 / sampleRate;
    const timeMs = options.smoothingMs ?? DEFAULT_SMOOTHING_MS;
    const freq = options.frequency ?? 440;
    checkFinite("frequency", freq);
    this.#freq = new ParamSmoother(sampleRate, { timeMs, initial: this.#clampFreq(freq) });
    const gain = options.gain ?? 1;
    checkFinite("gain", gain);
    this.#gain = new ParamSmoother(sampleRate, { timeMs, initial: gain });
    this.resetPhase(options.phase ?? 0);
  }

  /** Current (smoothed) frequency in Hz. */
  get frequency(): Hz {
    return this.#freq.value;
  }

  /** Target frequency in Hz. */
  get frequencyTarget(): Hz {
    return this.#freq.target;
  }

  /** Current (smoothed) linear gain. */
  get gain(): number {
    return this.#gain.value;
  }

  /** Current phase in cycles, [0, 1). */
  get phase(): number {
    return this.#phase;
  }

  /**
   * Glide to `hz`, clamped to [0, sampleRate / 2]. Control side.
   * @throws {RangeError} if `hz` is not finite.
   */
  setFrequency(hz: Hz): void {
    checkFinite("frequency", hz);
    this.#freq.setTarget(this.#clampFreq(hz));
  }

  /**
   * Glide to linear gain `gain`. Control side.
   * @throws {RangeError} if `gain` is not finite.
   */
  setGain(gain: number): void {
    checkFinite("gain", gain);
    this.#gain.setTarget(gain);
  }

  /**
   * Set the phase to `phase` cycles (wrapped into [0, 1)). Control side.
   * @throws {RangeError} if `phase` is not finite.
   */
  resetPhase(phase = 0): void {
    checkFinite("phase", phase);
    const p = phase - Math.floor(phase);
    this.#phase = p < 1 ? p : 0;
  }

  /** Jump frequency and gain to their targets (no glide). Control side. */
  settle(): void {
    this.#freq.reset(this.#freq.target);
    this.#gain.reset(this.#gain.target);
  }

  /** Produce one sample (a one-frame {@linkcode process}). For tests and control rate. */
  next(): number {
    this.process(this.#one, 0, 1);
    return this.#one[0] as number;
  }

  /** Write samples to `out[start..end)`. Render loop; allocates nothing. */
  process(out: Float64Array, start: number, end: number): void {
    const freqs = this.#freqs;
    const gains = this.#gains;
    const invRate = this.#invRate;
    let p = this.#phase;
    for (let c = start; c < end; c += SCRATCH_FRAMES) {
      const n = end - c < SCRATCH_FRAMES ? end - c : SCRATCH_FRAMES;
      this.#freq.fill(freqs, 0, n);
      this.#gain.fill(gains, 0, n);
      for (let i = 0; i < n; i++) {
        // sineTableLookup(p), written out: see _scratch.ts.
        const x = p * SINE_TABLE_SIZE;
        const k = x | 0;
        const a = TABLE[k] as number;
        out[c + i] = (a + (x - k) * ((TABLE[k + 1] as number) - a)) * (gains[i] as number);
        p += (freqs[i] as number) * invRate;
        if (p >= 1) p -= 1;
      }
    }
    this.#phase = p;
  }

  /** Write the state to `dst` at `offset`; returns the offset after it. */
  saveState(dst: Float64Array, offset: number): number {
    dst[offset] = this.#phase;
    return this.#gain.saveState(dst, this.#freq.saveState(dst, offset + 1));
  }

  /** Read the state written by {@linkcode saveState}; returns the offset after it. */
  loadState(src: Float64Array, offset: number): number {
    this.#phase = src[offset] ?? 0;
    return this.#gain.loadState(src, this.#freq.loadState(src, offset + 1));
  }

  #clampFreq(hz: Hz): Hz {
    const nyquist = this.sampleRate / 2;
    return hz < 0 ? 0 : hz > nyquist ? nyquist : hz;
  }
}
