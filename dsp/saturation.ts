/**
 * Drive + tanh saturation with peak-normalised output level, optionally run
 * at twice the sample rate.
 *
 * The curve is {@linkcode saturate}: tanh(g·x) / tanh(g) with g the drive
 * gain, so a full-scale (±1) peak comes out at ±1 whatever the drive: more
 * drive adds harmonics and density, not peak level.
 *
 * Oversampling (the default) upsamples by 2 with a linear-phase half-band
 * FIR of {@linkcode SATURATOR_HALFBAND_TAPS} taps (Kaiser window, β = 8),
 * shapes, and filters with the same half-band before dropping every other
 * sample. The half-band is flat within 0.001 dB to 20 kHz and at least 79 dB
 * down from 28 kHz at 48 kHz, so harmonics between the two Nyquist
 * frequencies are removed instead of folding back; the price is
 * {@linkcode SATURATOR_LATENCY_FRAMES} frames of latency. Measured at 48 kHz
 * (tests/dsp_saturation_test.ts), alias energy below 20 kHz relative to the
 * harmonics, for a 0.5-amplitude 5 kHz tone: at 12 dB drive −41 dB direct,
 * −88 dB oversampled; at 24 dB drive −18 and −35 dB, because harmonics beyond
 * the doubled rate still fold back at extreme drive.
 *
 * @module
 */

import { checkFinite, checkSampleRate } from "./_checks.ts";
import { SCRATCH_FRAMES } from "./_scratch.ts";
import { DEFAULT_SMOOTHING_MS, ParamSmoother, SMOOTHER_STATE_SIZE } from "./smoother.ts";
import type { Decibels, Frames, Hz, Milliseconds } from "./units.ts";

/** Highest drive in dB; drive is clamped to [0, SATURATOR_MAX_DRIVE_DB]. */
export const SATURATOR_MAX_DRIVE_DB: Decibels = 48;

/** Non-zero odd taps on each side of the half-band centre. */
const HALF_TAPS = 16;
/** Kaiser window β of the half-band. */
const KAISER_BETA = 8;

/** Length of the half-band FIR (odd taps on both sides plus the centre; the other even taps are 0). */
export const SATURATOR_HALFBAND_TAPS = 4 * HALF_TAPS - 1;

/** Latency in frames of an oversampled {@linkcode Saturator} (up- plus down-sampler). */
export const SATURATOR_LATENCY_FRAMES: Frames = 2 * HALF_TAPS - 1;

/** Output samples smaller than this in magnitude are written as 0 (denormal guard). */
const FLUSH_LEVEL = 1e-20;

/** Zeroth-order modified Bessel function of the first kind (power series). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
  }
  return sum;
}

/**
 * Odd taps h[1], h[3], … h[2·HALF_TAPS − 1] of the half-band low-pass (cutoff
 * a quarter of the doubled rate, h[0] = 1/2), normalised so that they sum to
 * 1/4 on each side: DC gain exactly 1.
 */
const HALFBAND: Float64Array = (() => {
  const h = new Float64Array(HALF_TAPS);
  const span = 2 * HALF_TAPS;
  let sum = 0;
  for (let j = 0; j < HALF_TAPS; j++) {
    const k = 2 * j + 1;
    const r = k / span;
    const window = besselI0(KAISER_BETA * Math.sqrt(1 - r * r)) / besselI0(KAISER_BETA);
    const v = (Math.sin((Math.PI * k) / 2) / (Math.PI * k)) * window;
    h[j] = v;
    sum += 2 * v;
  }
  for (let j = 0; j < HALF_TAPS; j++) h[j] = ((h[j] as number) * 0.5) / sum;
  return h;
})();

/** Drive gain g = 10^(driveDb/20) for a drive in dB, clamped to [0, max]. */
function driveGain(driveDb: Decibels): number {
  const d = driveDb < 0 ? 0 : driveDb > SATURATOR_MAX_DRIVE_DB ? SATURATOR_MAX_DRIVE_DB : driveDb;
  return Math.exp(d * (Math.LN10 / 20));
}

/**
 * Output compensation at `driveDb` dB of drive (clamped to [0,
 * {@linkcode SATURATOR_MAX_DRIVE_DB}]): 1 / tanh(g), g = 10^(driveDb/20).
 *
 * @throws {RangeError} if `driveDb` is not finite.
 *
 * @example
 * ```ts
 * import { saturatorCompensation } from "./saturation.ts";
 * saturatorCompensation(0); // 1.313 (= 1 / tanh(1))
 * ```
 */
export function saturatorCompensation(driveDb: Decibels): number {
  checkFinite("drive", driveDb);
  return 1 / Math.tanh(driveGain(driveDb));
}

/**
 * The static curve: tanh(g·x) / tanh(g) with g = 10^(driveDb/20) (drive
 * clamped to [0, {@linkcode SATURATOR_MAX_DRIVE_DB}]). Odd, monotonic,
 * saturate(±1) = ±1, |saturate(x)| < 1 / tanh(g) <= 1 / tanh(1).
 *
 * @throws {RangeError} if `driveDb` is not finite.
 *
 * @example
 * ```ts
 * import { saturate } from "./saturation.ts";
 * saturate(1, 12); // 1
 * saturate(0.5, 12); // 0.96…
 * ```
 */
export function saturate(x: number, driveDb: Decibels): number {
  checkFinite("drive", driveDb);
  const g = driveGain(driveDb);
  return Math.tanh(g * x) / Math.tanh(g);
}

/**
 * Largest output magnitude of a {@linkcode Saturator} for any input:
 * 1 / tanh(1) (the curve's bound at the least drive) times the sum of the
 * half-band's absolute taps (its worst-case gain), plus float32 rounding;
 * about 2.23.
 */
export const SATURATOR_PEAK_BOUND: number = (() => {
  let l1 = 0.5;
  for (let j = 0; j < HALF_TAPS; j++) l1 += 2 * Math.abs(HALFBAND[j] as number);
  return (l1 / Math.tanh(1)) * (1 + 2 ** -22);
})();

/**
 * Float64 slots used by {@linkcode Saturator.saveState}: history positions,
 * drive gain and compensation, the drive smoother and the up- and
 * down-sampler histories of both channels.
 */
export const SATURATOR_STATE_SIZE: number = 4 + SMOOTHER_STATE_SIZE + 8 * HALF_TAPS +
  4 * SATURATOR_HALFBAND_TAPS;

/**
 * Up-sampler history values (the input) a snapshot may hold:
 * {@linkcode Saturator.loadState} zeroes anything beyond (or non-finite).
 */
export const SATURATOR_STATE_LIMIT = 1e4;

/**
 * Largest down-sampler history value (shaped samples, |tanh(g·x)|/tanh(g) <=
 * 1/tanh(1)) a snapshot may hold, with room for rounding; it keeps the output
 * within SATURATOR_PEAK_BOUND.
 */
const SHAPED_LIMIT = (1 / Math.tanh(1)) * (1 + 2 ** -30);

/** Options of {@linkcode Saturator}. */
export interface SaturatorOptions {
  /** Starting drive in dB, 0..{@linkcode SATURATOR_MAX_DRIVE_DB}; default 12. */
  readonly driveDb?: Decibels;
  /** Run the curve at twice the sample rate (fixed for the instance); default true. */
  readonly oversample?: boolean;
  /** Smoothing time constant of the drive in ms; default 5. */
  readonly smoothingMs?: Milliseconds;
}

/**
 * Stereo saturator over interleaved stereo blocks, processed in place:
 * each channel through {@linkcode saturate} with a smoothed drive, at twice
 * the rate when oversampling (see the module doc). Output never exceeds
 * {@linkcode SATURATOR_PEAK_BOUND} in magnitude. If a non-finite value
 * appears (NaN input), the block range is zeroed and the filters cleared.
 *
 * @example
 * ```ts
 * import { Saturator } from "./saturation.ts";
 * const sat = new Saturator(48000, { driveDb: 18 });
 * const block = new Float32Array(2 * 128); // L,R,L,R…
 * sat.process(block, 0, 128);
 * ```
 */
export class Saturator {
  /** Sample rate in Hz. */
  readonly sampleRate: Hz = 0;
  /** True when the curve runs at twice the rate. */
  readonly oversample: boolean = true;
  /** Delay of the output in frames: {@linkcode SATURATOR_LATENCY_FRAMES} or 0. */
  readonly latencyFrames: Frames = 0;
  /** Float64 slots needed by {@linkcode saveState} ({@linkcode SATURATOR_STATE_SIZE}). */
  readonly stateSize: number = SATURATOR_STATE_SIZE;
  readonly #drive: ParamSmoother;
  /** Up-sampler input histories, written twice so a window is contiguous. */
  readonly #upL = new Float64Array(4 * HALF_TAPS);
  readonly #upR = new Float64Array(4 * HALF_TAPS);
  /** Down-sampler input histories (doubled-rate samples), written twice. */
  readonly #downL = new Float64Array(2 * SATURATOR_HALFBAND_TAPS);
  readonly #downR = new Float64Array(2 * SATURATOR_HALFBAND_TAPS);
  #up = 0;
  #down = 0;
  #gain = 1;
  #comp = 1;
  /** Drive gain per frame of the current chunk. */
  readonly #gains = new Float64Array(SCRATCH_FRAMES);

  /**
   * A saturator with cleared filters and the drive settled.
   *
   * @param sampleRate sample rate in Hz.
   * @param options drive, oversampling and smoothing time.
   * @throws {RangeError} for an out-of-range rate or a non-finite drive.
   */
  constructor(sampleRate: Hz, options: SaturatorOptions = {}) {
    checkSampleRate(sampleRate);
    this.sampleRate = sampleRate;
    this.oversample = options.oversample ?? true;
    this.latencyFrames = this.oversample ? SATURATOR_LATENCY_FRAMES : 0;
    this.#drive = new ParamSmoother(sampleRate, {
      timeMs: options.smoothingMs ?? DEFAULT_SMOOTHING_MS,
    });
    this.setDrive(options.driveDb ?? 12);
    this.reset();
  }

  /** Current (smoothed) drive in dB. */
  get drive(): Decibels {
    return this.#drive.value;
  }

  /**
   * Glide the drive to `db` dB, clamped to [0, {@linkcode SATURATOR_MAX_DRIVE_DB}]. Control side.
   * @throws {RangeError} if `db` is not finite.
   */
  setDrive(db: Decibels): void {
    checkFinite("drive", db);
    const max = SATURATOR_MAX_DRIVE_DB;
    this.#drive.setTarget(db < 0 ? 0 : db > max ? max : db);
  }

  /** Clear the filters and jump the drive to its target. Control side. */
  reset(): void {
    this.#upL.fill(0);
    this.#upR.fill(0);
    this.#downL.fill(0);
    this.#downR.fill(0);
    this.#up = 0;
    this.#down = 0;
    this.#drive.reset(this.#drive.target);
    this.#gain = driveGain(this.#drive.value);
    this.#comp = 1 / Math.tanh(this.#gain);
  }

  /**
   * Write the complete state — history positions, drive gain and
   * compensation, drive smoother and both channels' filter histories — to
   * `dst` at `offset` ({@linkcode stateSize} slots); returns the offset after
   * it. A saturator of the same rate and oversampling loaded from it
   * continues bit-identically. Control side.
   * @throws {RangeError} if `dst` is too short.
   */
  saveState(dst: Float64Array, offset: number): number {
    checkStateRange(dst, offset);
    dst[offset] = this.#up;
    dst[offset + 1] = this.#down;
    dst[offset + 2] = this.#gain;
    dst[offset + 3] = this.#comp;
    let o = this.#drive.saveState(dst, offset + 4);
    for (const h of [this.#upL, this.#upR, this.#downL, this.#downR]) {
      dst.set(h, o);
      o += h.length;
    }
    return o;
  }

  /**
   * Read the state written by {@linkcode saveState}; returns the offset after
   * it. Values a valid snapshot cannot hold are repaired: positions outside
   * their histories to 0; the drive clamped to its range; a gain or
   * compensation no drive gives recomputed from the drive; input history
   * values non-finite or beyond ±{@linkcode SATURATOR_STATE_LIMIT}, and shaped
   * ones beyond 1/tanh(1), to 0, so the output stays within
   * {@linkcode SATURATOR_PEAK_BOUND}. Control side.
   * @throws {RangeError} if `src` is too short.
   */
  loadState(src: Float64Array, offset: number): number {
    checkStateRange(src, offset);
    const at = (i: number): number => src[offset + i] as number;
    const index = (x: number, len: number): number =>
      Number.isInteger(x) && x >= 0 && x < len ? x : 0;
    this.#up = index(at(0), 2 * HALF_TAPS);
    this.#down = index(at(1), SATURATOR_HALFBAND_TAPS);
    const d = this.#drive;
    let o = d.loadState(src, offset + 4);
    const max = SATURATOR_MAX_DRIVE_DB;
    const fix = (x: number, fallback: number): number =>
      Number.isFinite(x) ? (x < 0 ? 0 : x > max ? max : x) : fallback;
    const target = fix(d.target, fix(d.value, 0));
    const value = fix(d.value, target);
    if (value !== d.value || target !== d.target) {
      d.reset(value);
      d.setTarget(target);
    }
    const gain = at(2);
    const comp = at(3);
    if (gain >= 1 && gain <= driveGain(max) && comp >= 1 && comp <= SHAPED_LIMIT) {
      this.#gain = gain;
      this.#comp = comp;
    } else {
      this.#gain = driveGain(d.value);
      this.#comp = 1 / Math.tanh(this.#gain);
    }
    o = loadHistory(this.#upL, src, o, SATURATOR_STATE_LIMIT);
    o = loadHistory(this.#upR, src, o, SATURATOR_STATE_LIMIT);
    o = loadHistory(this.#downL, src, o, SHAPED_LIMIT);
    return loadHistory(this.#downR, src, o, SHAPED_LIMIT);
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
    const gains = this.#gains;
    const dbToLog = Math.LN10 / 20; // as in driveGain
    let bad = 0;
    for (let c = s; c < e; c += SCRATCH_FRAMES) {
      const n = e - c < SCRATCH_FRAMES ? e - c : SCRATCH_FRAMES;
      if (this.#drive.isSettled) {
        const g = this.#gain;
        for (let i = 0; i < n; i++) gains[i] = g;
      } else {
        this.#drive.fill(gains, 0, n);
        // driveGain, written out (see _scratch.ts); the drive is clamped by setDrive.
        for (let i = 0; i < n; i++) gains[i] = Math.exp((gains[i] as number) * dbToLog);
      }
      bad += this.oversample ? this.#oversampled(buf, c, n) : this.#direct(buf, c, n);
    }
    if (bad !== 0) {
      if (e > s) buf.fill(0, 2 * s, 2 * e);
      this.reset();
    }
  }

  /** Curve at the base rate on frames [c, c+n), gains in #gains. Returns 1 on NaN, else 0. */
  #direct(buf: Float32Array, c: number, n: number): number {
    const gains = this.#gains;
    let bad = 0;
    let g = this.#gain;
    let comp = this.#comp;
    for (let i = 0; i < n; i++) {
      const gi = gains[i] as number;
      if (gi !== g) {
        g = gi;
        comp = 1 / Math.tanh(g);
      }
      const o = 2 * (c + i);
      let yL = Math.tanh(g * (buf[o] as number)) * comp;
      let yR = Math.tanh(g * (buf[o + 1] as number)) * comp;
      bad += yL - yL + (yR - yR);
      if (yL > -FLUSH_LEVEL && yL < FLUSH_LEVEL) yL = 0;
      if (yR > -FLUSH_LEVEL && yR < FLUSH_LEVEL) yR = 0;
      buf[o] = yL;
      buf[o + 1] = yR;
    }
    this.#gain = g;
    this.#comp = comp;
    return bad === 0 ? 0 : 1; // a small integer: returning a double could box it
  }

  /** Curve at twice the rate on frames [c, c+n), gains in #gains. Returns 1 on NaN, else 0. */
  #oversampled(buf: Float32Array, c: number, n: number): number {
    const gains = this.#gains;
    const h = HALFBAND;
    const upL = this.#upL;
    const upR = this.#upR;
    const downL = this.#downL;
    const downR = this.#downR;
    const P = HALF_TAPS;
    const upLen = 2 * P;
    const downLen = SATURATOR_HALFBAND_TAPS;
    let pu = this.#up;
    let pd = this.#down;
    let bad = 0;
    let g = this.#gain;
    let comp = this.#comp;
    for (let i = 0; i < n; i++) {
      const gi = gains[i] as number;
      if (gi !== g) {
        g = gi;
        comp = 1 / Math.tanh(g);
      }
      const o = 2 * (c + i);
      // Up: history window up[pu+1 .. pu+2P], newest x[n] at pu+2P; x[n-k] at pu+2P-k.
      const xL = buf[o] as number;
      const xR = buf[o + 1] as number;
      upL[pu] = xL;
      upL[pu + upLen] = xL;
      upR[pu] = xR;
      upR[pu + upLen] = xR;
      // Even phase x[n-P]; odd phase the half-band midpoint between x[n-P] and x[n-P+1].
      const mid = pu + P;
      const evenL = upL[mid] as number;
      const evenR = upR[mid] as number;
      let oddL = 0;
      let oddR = 0;
      for (let j = 0; j < P; j++) {
        const hj = h[j] as number;
        oddL += hj * ((upL[mid + 1 + j] as number) + (upL[mid - j] as number));
        oddR += hj * ((upR[mid + 1 + j] as number) + (upR[mid - j] as number));
      }
      oddL *= 2;
      oddR *= 2;
      pu = pu + 1 === upLen ? 0 : pu + 1;
      // Shape both doubled-rate samples and push them into the down-sampler.
      const sEvenL = Math.tanh(g * evenL) * comp;
      const sEvenR = Math.tanh(g * evenR) * comp;
      downL[pd] = sEvenL;
      downL[pd + downLen] = sEvenL;
      downR[pd] = sEvenR;
      downR[pd + downLen] = sEvenR;
      pd = pd + 1 === downLen ? 0 : pd + 1;
      const sOddL = Math.tanh(g * oddL) * comp;
      const sOddR = Math.tanh(g * oddR) * comp;
      downL[pd] = sOddL;
      downL[pd + downLen] = sOddL;
      downR[pd] = sOddR;
      downR[pd + downLen] = sOddR;
      // Down: window down[pd+1 .. pd+4P-1], centre (an even-phase sample) at pd+2P.
      const centre = pd + P + P;
      let yL = 0.5 * (downL[centre] as number);
      let yR = 0.5 * (downR[centre] as number);
      for (let j = 0; j < P; j++) {
        const hj = h[j] as number;
        const d = 2 * j + 1;
        yL += hj * ((downL[centre + d] as number) + (downL[centre - d] as number));
        yR += hj * ((downR[centre + d] as number) + (downR[centre - d] as number));
      }
      pd = pd + 1 === downLen ? 0 : pd + 1;
      bad += yL - yL + (yR - yR);
      if (yL > -FLUSH_LEVEL && yL < FLUSH_LEVEL) yL = 0;
      if (yR > -FLUSH_LEVEL && yR < FLUSH_LEVEL) yR = 0;
      buf[o] = yL;
      buf[o + 1] = yR;
    }
    this.#up = pu;
    this.#down = pd;
    this.#gain = g;
    this.#comp = comp;
    return bad === 0 ? 0 : 1; // a small integer: returning a double could box it
  }
}

/** Throw unless `buf` holds {@linkcode SATURATOR_STATE_SIZE} values from `offset`. */
function checkStateRange(buf: Float64Array, offset: number): void {
  if (!(Number.isInteger(offset) && offset >= 0 && offset + SATURATOR_STATE_SIZE <= buf.length)) {
    throw new RangeError(
      `state buffer must hold ${SATURATOR_STATE_SIZE} values from offset ${offset}, got ${buf.length}`,
    );
  }
}

/** History values from `src` at `offset`, non-finite or beyond ±limit to 0; returns the offset after. */
function loadHistory(h: Float64Array, src: Float64Array, offset: number, limit: number): number {
  for (let i = 0; i < h.length; i++) {
    const x = src[offset + i] as number;
    h[i] = x >= -limit && x <= limit ? x : 0;
  }
  return offset + h.length;
}
