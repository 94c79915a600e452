/**
 * Low-frequency oscillator: sine, triangle, saw up/down, square and seeded
 * sample-and-hold, free-running in Hz or synced to a tempo.
 *
 * Timing is exact to the sample: the phase is kept as a position in frames
 * within a period of P frames ({@linkcode lfoPeriodFrames}), so sample n of a
 * free-running LFO started at phase 0 has phase (n mod P) / P and every cycle
 * starts exactly at a multiple of P (at 120 bpm, one beat per cycle, 48 kHz:
 * every 24000 samples).
 *
 * Shapes at phase φ in [0, 1), bipolar (-1..1):
 * - sine sin(2πφ) (wavetable, see sineTableLookup),
 * - triangle 4φ on [0, ¼), 2 − 4φ on [¼, ¾), 4φ − 4 on [¾, 1),
 * - saw up 2φ − 1, saw down 1 − 2φ, square 1 on [0, ½) and −1 on [½, 1),
 * - sample-and-hold: a value drawn uniformly from [−1, 1) at the start of
 *   every cycle (and at a phase reset) by a seeded PRNG (mulberry32) that is
 *   part of the state, held for the cycle.
 * With the unipolar option the output is (y + 1) / 2, 0..1.
 *
 * @module
 */

import { checkFinite, checkSampleRate } from "./_checks.ts";
import { SINE_TABLE_SIZE } from "./sine.ts";
import type { Frames, Hz } from "./units.ts";

/** Wave shapes of an {@linkcode Lfo}. */
export const LfoShape = {
  /** Sine, starting at 0 and rising. */
  Sine: 0,
  /** Triangle, in phase with the sine. */
  Triangle: 1,
  /** Ramp from −1 up to 1. */
  SawUp: 2,
  /** Ramp from 1 down to −1. */
  SawDown: 3,
  /** 1 for the first half-cycle, −1 for the second. */
  Square: 4,
  /** A seeded random value per cycle. */
  SampleHold: 5,
} as const;

/** An LFO shape (a value of {@linkcode LfoShape}). */
export type LfoShapeId = typeof LfoShape[keyof typeof LfoShape];

/** Number of float64 slots used by {@linkcode Lfo.saveState}. */
export const LFO_STATE_SIZE = 8;

/** Shortest period in frames (rate at most half the sample rate). */
const MIN_PERIOD: Frames = 2;

/** Longest period in frames, 2^40 (265 days at 48 kHz): positions stay exact integers. */
const MAX_PERIOD: Frames = 2 ** 40;

/** Relative distance within which a period is snapped to a whole number of frames. */
const PERIOD_SNAP = 1e-9;

/** One sine period at SINE_TABLE_SIZE points plus a guard point (as in sine.ts). */
const SINE: Float64Array = (() => {
  const t = new Float64Array(SINE_TABLE_SIZE + 1);
  for (let i = 0; i < SINE_TABLE_SIZE; i++) t[i] = Math.sin((2 * Math.PI * i) / SINE_TABLE_SIZE);
  return t;
})();

function checkShape(shape: number): void {
  if (!(shape === 0 || shape === 1 || shape === 2 || shape === 3 || shape === 4 || shape === 5)) {
    throw new RangeError(
      `LFO shape must be an integer between 0 and 5 (an LfoShape), got ${shape}`,
    );
  }
}

function checkPositive(what: string, value: number): void {
  if (!(value > 0 && value < Infinity)) {
    throw new RangeError(`${what} must be a finite number > 0, got ${value}`);
  }
}

/** `frames` rounded to a whole number when within 1e-9 of one, clamped to [2, 2^40]. */
function snapPeriod(frames: Frames): Frames {
  if (!(frames < MAX_PERIOD)) return MAX_PERIOD;
  const whole = Math.round(frames);
  const p = Math.abs(frames - whole) <= PERIOD_SNAP * frames ? whole : frames;
  return p > MIN_PERIOD ? p : MIN_PERIOD;
}

/**
 * Rate in Hz of an LFO synced to `bpm` with one cycle every `beatsPerCycle`
 * beats: bpm / (60 · beatsPerCycle). With the beat a quarter note, 1/4 is 1
 * beat, 1/8. is 0.75, 1/16t is 1/6 and a bar of 4/4 is 4.
 *
 * @throws {RangeError} unless both are finite numbers > 0.
 *
 * @example
 * ```ts
 * import { syncedRateHz } from "./lfo.ts";
 * syncedRateHz(120, 1); // 2
 * syncedRateHz(120, 0.5); // 4 (eighth notes)
 * ```
 */
export function syncedRateHz(bpm: number, beatsPerCycle: number): Hz {
  checkPositive("bpm", bpm);
  checkPositive("beats per cycle", beatsPerCycle);
  return bpm / (60 * beatsPerCycle);
}

/**
 * Period in frames of an LFO at `rateHz` (> 0): sampleRate / rateHz, snapped
 * to a whole number of frames when within 1e-9 of one (so 2.666… Hz at
 * 48 kHz is exactly 18000 frames), and clamped to [2, 2^40].
 *
 * @throws {RangeError} unless `rateHz` is a finite number > 0 and the sample rate is in range.
 *
 * @example
 * ```ts
 * import { lfoPeriodFrames } from "./lfo.ts";
 * lfoPeriodFrames(2, 48000); // 24000
 * ```
 */
export function lfoPeriodFrames(rateHz: Hz, sampleRate: Hz): Frames {
  checkSampleRate(sampleRate);
  checkPositive("LFO rate in Hz", rateHz);
  return snapPeriod(sampleRate / rateHz);
}

/** Options of {@linkcode Lfo}. */
export interface LfoOptions {
  /** Wave shape; default {@linkcode LfoShape.Sine}. */
  readonly shape?: LfoShapeId;
  /** Rate in Hz, clamped to [0, sampleRate/2] (0 holds the phase); default 1. */
  readonly rateHz?: Hz;
  /** Starting phase in cycles, [0, 1); default 0. */
  readonly phase?: number;
  /** Output 0..1 instead of −1..1; default false. */
  readonly unipolar?: boolean;
  /** Seed of the sample-and-hold PRNG (its low 32 bits); default 1. */
  readonly seed?: number;
}

/**
 * LFO with sample-exact periods, see the module doc. Setters,
 * {@linkcode resetPhase}, {@linkcode saveState} and {@linkcode loadState} are
 * called by the control side between sub-blocks; {@linkcode process} by the
 * render loop, where it neither allocates nor throws. Rate and tempo changes
 * keep the phase.
 *
 * @example
 * ```ts
 * import { Lfo, LfoShape } from "./lfo.ts";
 * const lfo = new Lfo(48000, { shape: LfoShape.Triangle });
 * lfo.setTempo(120, 0.75); // one cycle per dotted eighth: 18000 frames
 * const out = new Float64Array(128);
 * lfo.process(out, 0, 128);
 * ```
 */
export class Lfo {
  /** Sample rate in Hz. */
  readonly sampleRate: Hz = 0;
  /** Float64 slots needed by {@linkcode saveState} ({@linkcode LFO_STATE_SIZE}). */
  readonly stateSize: number = LFO_STATE_SIZE;
  /** Position in frames within the current cycle, [0, period). */
  #pos = 0;
  #period = 1;
  /** Frames added per sample: 1 when running, 0 when the rate is 0. */
  #step = 1;
  #rateHz = 0;
  #shape: number = LfoShape.Sine;
  #unipolar = 0;
  /** Current sample-and-hold value, −1..1. */
  #held = 0;
  /** mulberry32 state (int32 in a typed array: no boxed numbers in the loop). */
  readonly #rng = new Int32Array(1);
  readonly #one = new Float64Array(1);

  /**
   * @param sampleRate sample rate in Hz.
   * @param options shape, rate, phase, polarity and seed.
   * @throws {RangeError} for an out-of-range rate, an unknown shape or a non-finite option.
   */
  constructor(sampleRate: Hz, options: LfoOptions = {}) {
    checkSampleRate(sampleRate);
    this.sampleRate = sampleRate;
    this.#period = sampleRate;
    this.setShape(options.shape ?? LfoShape.Sine);
    this.setRate(options.rateHz ?? 1);
    this.setUnipolar(options.unipolar ?? false);
    this.setSeed(options.seed ?? 1);
    this.resetPhase(options.phase ?? 0);
  }

  /** Current shape. */
  get shape(): LfoShapeId {
    const s = this.#shape;
    return s === 1 || s === 2 || s === 3 || s === 4 || s === 5 ? s : LfoShape.Sine;
  }

  /** Current rate in Hz (0 when holding). */
  get rateHz(): Hz {
    return this.#rateHz;
  }

  /** Period in frames (of the last non-zero rate). */
  get periodFrames(): Frames {
    return this.#period;
  }

  /** Phase of the next sample, in cycles, [0, 1). */
  get phase(): number {
    return this.#pos / this.#period;
  }

  /**
   * Set the shape (the phase runs on). Control side.
   * @throws {RangeError} for a value that is not an {@linkcode LfoShape}.
   */
  setShape(shape: LfoShapeId): void {
    checkShape(shape);
    this.#shape = shape;
  }

  /**
   * Set the rate in Hz, clamped to [0, sampleRate/2], keeping the phase; 0
   * holds the phase until a non-zero rate. Control side.
   * @throws {RangeError} if `hz` is not finite.
   */
  setRate(hz: Hz): void {
    checkFinite("LFO rate", hz);
    const max = this.sampleRate / MIN_PERIOD;
    if (!(hz > 0)) {
      this.#rateHz = 0;
      this.#step = 0;
      return;
    }
    const period = snapPeriod(this.sampleRate / (hz < max ? hz : max));
    this.#rateHz = hz < max ? (period < MAX_PERIOD ? hz : this.sampleRate / period) : max;
    this.#setPeriod(period);
  }

  /**
   * Sync to a tempo: one cycle every `beatsPerCycle` beats at `bpm`, a
   * period of sampleRate·60·beatsPerCycle/bpm frames (snapped like
   * {@linkcode lfoPeriodFrames}), keeping the phase. Control side.
   * @throws {RangeError} unless both are finite numbers > 0.
   */
  setTempo(bpm: number, beatsPerCycle: number): void {
    checkPositive("bpm", bpm);
    checkPositive("beats per cycle", beatsPerCycle);
    const period = snapPeriod((this.sampleRate * 60 * beatsPerCycle) / bpm);
    this.#rateHz = this.sampleRate / period;
    this.#setPeriod(period);
  }

  /** Output 0..1 (true) or −1..1 (false). Control side. */
  setUnipolar(on: boolean): void {
    this.#unipolar = on ? 1 : 0;
  }

  /**
   * Restart the sample-and-hold PRNG from `seed` (its low 32 bits); the next
   * drawn value is the first of that seed's sequence. Control side.
   * @throws {RangeError} if `seed` is not finite.
   */
  setSeed(seed: number): void {
    checkFinite("seed", seed);
    this.#rng[0] = seed;
  }

  /**
   * Start a new cycle at `phase` cycles (wrapped into [0, 1)) with the next
   * sample, drawing a new sample-and-hold value. Control side.
   * @throws {RangeError} if `phase` is not finite.
   */
  resetPhase(phase = 0): void {
    checkFinite("LFO phase", phase);
    const p = phase - Math.floor(phase);
    const pos = p * this.#period;
    this.#pos = pos < this.#period ? pos : 0;
    this.#held = this.#draw();
  }

  /** Produce one value (a one-frame {@linkcode process}). For tests and control rate. */
  next(): number {
    this.process(this.#one, 0, 1);
    return this.#one[0] as number;
  }

  /** Write values to `out[start..end)`. Render loop; allocates nothing. */
  process(out: Float64Array, start: number, end: number): void {
    const period = this.#period;
    const step = this.#step;
    const shape = this.#shape;
    const unipolar = this.#unipolar === 1;
    const rng = this.#rng;
    let a = rng[0] as number;
    let pos = this.#pos;
    let held = this.#held;
    for (let i = start; i < end; i++) {
      const phase = pos / period;
      let y = 0;
      switch (shape) {
        case LfoShape.Sine: {
          // sineTableLookup(phase), written out: see _scratch.ts.
          const x = phase * SINE_TABLE_SIZE;
          const j = x | 0;
          const s0 = SINE[j] as number;
          y = s0 + (x - j) * ((SINE[j + 1] as number) - s0);
          break;
        }
        case LfoShape.Triangle:
          y = phase < 0.25 ? 4 * phase : phase < 0.75 ? 2 - 4 * phase : 4 * phase - 4;
          break;
        case LfoShape.SawUp:
          y = 2 * phase - 1;
          break;
        case LfoShape.SawDown:
          y = 1 - 2 * phase;
          break;
        case LfoShape.Square:
          y = phase < 0.5 ? 1 : -1;
          break;
        case LfoShape.SampleHold:
          y = held;
          break;
      }
      out[i] = unipolar ? 0.5 * y + 0.5 : y;
      pos += step;
      if (pos >= period) {
        pos -= period;
        // mulberry32, as #draw.
        a = (a + 0x6d2b79f5) | 0;
        let t = Math.imul(a ^ (a >>> 15), a | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        held = ((t ^ (t >>> 14)) >>> 0) / 2147483648 - 1;
      }
    }
    rng[0] = a;
    this.#pos = pos;
    this.#held = held;
  }

  /** Write the state to `dst` at `offset`; returns the offset after it. */
  saveState(dst: Float64Array, offset: number): number {
    dst[offset] = this.#pos;
    dst[offset + 1] = this.#period;
    dst[offset + 2] = this.#step;
    dst[offset + 3] = this.#rateHz;
    dst[offset + 4] = this.#shape;
    dst[offset + 5] = this.#unipolar;
    dst[offset + 6] = this.#held;
    dst[offset + 7] = this.#rng[0] as number;
    return offset + LFO_STATE_SIZE;
  }

  /**
   * Read the state written by {@linkcode saveState}; returns the offset after
   * it. Values are not checked (the owner guards against non-finite state);
   * an unknown shape outputs 0.
   */
  loadState(src: Float64Array, offset: number): number {
    this.#pos = src[offset] ?? 0;
    this.#period = src[offset + 1] ?? this.sampleRate;
    this.#step = src[offset + 2] === 0 ? 0 : 1;
    this.#rateHz = src[offset + 3] ?? 0;
    this.#shape = src[offset + 4] ?? 0;
    this.#unipolar = src[offset + 5] === 1 ? 1 : 0;
    this.#held = src[offset + 6] ?? 0;
    this.#rng[0] = src[offset + 7] ?? 0;
    return offset + LFO_STATE_SIZE;
  }

  /** Keep the phase across a period change and start running. */
  #setPeriod(period: Frames): void {
    const pos = (this.#pos / this.#period) * period;
    this.#pos = pos < period ? pos : 0;
    this.#period = period;
    this.#step = 1;
  }

  /** Next PRNG value in [−1, 1) (mulberry32, as in tests/_random.ts). */
  #draw(): number {
    const rng = this.#rng;
    const a = ((rng[0] as number) + 0x6d2b79f5) | 0;
    rng[0] = a;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2147483648 - 1;
  }
}
