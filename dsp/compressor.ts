/**
 * Feed-forward stereo compressor: a stereo-linked peak detector, the static
 * soft-knee curve {@linkcode compressorGain}, and attack/release smoothing of
 * the gain in dB (the "smooth branching" detector of Giannoulis, Massberg &
 * Reiss, "Digital Dynamic Range Compressor Design — A Tutorial and Analysis",
 * JAES 2012).
 *
 * Per frame: level = max(|L|, |R|) in dBFS (a sine of peak A reads
 * 20·log10(A)); target = compressorGain(level, …); the gain reduction moves
 * toward the target with the attack time constant when it has to fall and the
 * release time constant when it may rise; both channels are multiplied by
 * 10^((reduction + makeup)/20). With a steady level the gain settles exactly
 * on the static curve plus makeup.
 *
 * @module
 */

import { checkStateRange, loadSmootherClamped } from "./_state.ts";
import { checkFinite, checkSampleRate } from "./_checks.ts";
import { SCRATCH_FRAMES } from "./_scratch.ts";
import { DEFAULT_SMOOTHING_MS, ParamSmoother, SMOOTHER_STATE_SIZE } from "./smoother.ts";
import type { Decibels, Frames, Hz, Milliseconds } from "./units.ts";

/** Lowest threshold in dBFS. */
export const COMPRESSOR_MIN_THRESHOLD_DB: Decibels = -80;
/** Highest ratio; ratio is clamped to [1, COMPRESSOR_MAX_RATIO]. */
export const COMPRESSOR_MAX_RATIO = 100;
/** Widest knee in dB; knee is clamped to [0, COMPRESSOR_MAX_KNEE_DB]. */
export const COMPRESSOR_MAX_KNEE_DB: Decibels = 24;
/** Makeup gain is clamped to ±COMPRESSOR_MAX_MAKEUP_DB. */
export const COMPRESSOR_MAX_MAKEUP_DB: Decibels = 24;
/** Attack time range in ms. */
export const COMPRESSOR_ATTACK_RANGE_MS: readonly [Milliseconds, Milliseconds] = [0.1, 1000];
/** Release time range in ms. */
export const COMPRESSOR_RELEASE_RANGE_MS: readonly [Milliseconds, Milliseconds] = [1, 5000];

/** Detector level in dBFS used for silence (and anything quieter). */
const FLOOR_DB = -200;
/** Peak level below which the detector reads FLOOR_DB. */
const FLOOR_LEVEL = 1e-10;
/** Gain reductions smaller than this in magnitude (dB) are flushed to 0 (denormal guard). */
const FLUSH_DB = 1e-12;
/**
 * Deepest gain reduction a snapshot may hold, in dB. Float32 input peaks at
 * about 771 dBFS, so no real reduction gets below about −850 dB.
 */
const MIN_REDUCTION_DB = -1000;

/**
 * Float64 slots used by {@linkcode Compressor.saveState}: gain reduction,
 * attack and release times, and the threshold, ratio, knee and makeup smoothers.
 */
export const COMPRESSOR_STATE_SIZE: number = 3 + 4 * SMOOTHER_STATE_SIZE;

/**
 * Static curve: the gain change in dB (<= 0) for a detector level of
 * `inputDb` dBFS, with threshold `thresholdDb` dBFS, ratio `ratio` (>= 1;
 * Infinity limits) and a quadratic knee `kneeDb` dB wide centred on the
 * threshold. With x = inputDb, T = thresholdDb, W = kneeDb:
 * - 2(x − T) < −W: 0;
 * - 2|x − T| <= W (W > 0): (1/ratio − 1)·(x − T + W/2)² / (2W);
 * - otherwise: (x − T)·(1/ratio − 1).
 *
 * @throws {RangeError} if `inputDb` is NaN or +Infinity, the threshold is not
 * finite, the ratio is below 1 or NaN, or the knee is negative or not finite.
 *
 * @example
 * ```ts
 * import { compressorGain } from "./compressor.ts";
 * compressorGain(-10, -20, 4, 0); // -7.5: 10 dB over, 4:1 keeps 2.5
 * compressorGain(-30, -20, 4, 6); // 0: below the knee
 * ```
 */
export function compressorGain(
  inputDb: Decibels,
  thresholdDb: Decibels,
  ratio: number,
  kneeDb: Decibels,
): Decibels {
  if (Number.isNaN(inputDb) || inputDb === Infinity) {
    throw new RangeError(`input level must be a number of dB below +Infinity, got ${inputDb}`);
  }
  checkFinite("threshold", thresholdDb);
  if (!(ratio >= 1)) throw new RangeError(`ratio must be at least 1, got ${ratio}`);
  if (!(kneeDb >= 0 && kneeDb < Infinity)) {
    throw new RangeError(`knee must be a finite number of dB >= 0, got ${kneeDb}`);
  }
  const over = inputDb - thresholdDb;
  if (2 * over < -kneeDb) return 0;
  if (kneeDb > 0 && 2 * Math.abs(over) <= kneeDb) {
    const z = over + kneeDb / 2;
    return ((1 / ratio - 1) * z * z) / (2 * kneeDb);
  }
  return over * (1 / ratio - 1);
}

/**
 * One-pole coefficient for a time constant of `ms` ms at `sampleRate` Hz:
 * exp(−1000 / (ms·sampleRate)); the detector covers 1 − 1/e of a step in `ms`.
 */
function timeCoefficient(ms: Milliseconds, sampleRate: Hz): number {
  return Math.exp(-1000 / (ms * sampleRate));
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** Options of {@linkcode Compressor}. */
export interface CompressorOptions {
  /** Starting threshold in dBFS, {@linkcode COMPRESSOR_MIN_THRESHOLD_DB}..0; default -18. */
  readonly thresholdDb?: Decibels;
  /** Starting ratio, 1..{@linkcode COMPRESSOR_MAX_RATIO}; default 4. */
  readonly ratio?: number;
  /** Starting knee width in dB, 0..{@linkcode COMPRESSOR_MAX_KNEE_DB}; default 6. */
  readonly kneeDb?: Decibels;
  /** Attack time constant in ms (see {@linkcode COMPRESSOR_ATTACK_RANGE_MS}); default 10. */
  readonly attackMs?: Milliseconds;
  /** Release time constant in ms (see {@linkcode COMPRESSOR_RELEASE_RANGE_MS}); default 150. */
  readonly releaseMs?: Milliseconds;
  /** Starting makeup gain in dB, ±{@linkcode COMPRESSOR_MAX_MAKEUP_DB}; default 0. */
  readonly makeupDb?: Decibels;
  /** Smoothing time constant of threshold, ratio, knee and makeup in ms; default 5. */
  readonly smoothingMs?: Milliseconds;
}

/**
 * Stereo-linked compressor over interleaved stereo blocks, processed in place
 * (see the module doc). Threshold, ratio, knee and makeup are clamped to
 * their ranges and smoothed; attack and release, which only set how fast the
 * gain moves, apply at once. If a non-finite value appears (from the input),
 * the block range is zeroed and the detector reset.
 *
 * @example
 * ```ts
 * import { Compressor } from "./compressor.ts";
 * const comp = new Compressor(48000, { thresholdDb: -24, ratio: 4, attackMs: 5 });
 * const block = new Float32Array(2 * 128); // L,R,L,R…
 * comp.process(block, 0, 128);
 * ```
 */
export class Compressor {
  /** Sample rate in Hz. */
  readonly sampleRate: Hz = 0;
  /** Float64 slots needed by {@linkcode saveState} ({@linkcode COMPRESSOR_STATE_SIZE}). */
  readonly stateSize: number = COMPRESSOR_STATE_SIZE;
  readonly #threshold: ParamSmoother;
  readonly #ratio: ParamSmoother;
  readonly #knee: ParamSmoother;
  readonly #makeup: ParamSmoother;
  #attack = 0;
  #release = 0;
  #attackMs = 0;
  #releaseMs = 0;
  /** Smoothed gain change in dB (<= 0). */
  #reduction = 0;
  readonly #thresholds = new Float64Array(SCRATCH_FRAMES);
  readonly #ratios = new Float64Array(SCRATCH_FRAMES);
  readonly #knees = new Float64Array(SCRATCH_FRAMES);
  readonly #makeups = new Float64Array(SCRATCH_FRAMES);

  /**
   * A compressor with no gain reduction and its parameters settled.
   *
   * @param sampleRate sample rate in Hz.
   * @param options starting parameters and smoothing time.
   * @throws {RangeError} for an out-of-range rate or a non-finite option.
   */
  constructor(sampleRate: Hz, options: CompressorOptions = {}) {
    checkSampleRate(sampleRate);
    this.sampleRate = sampleRate;
    const timeMs = options.smoothingMs ?? DEFAULT_SMOOTHING_MS;
    this.#threshold = new ParamSmoother(sampleRate, { timeMs });
    this.#ratio = new ParamSmoother(sampleRate, { timeMs, initial: 1 });
    this.#knee = new ParamSmoother(sampleRate, { timeMs });
    this.#makeup = new ParamSmoother(sampleRate, { timeMs });
    this.setThreshold(options.thresholdDb ?? -18);
    this.setRatio(options.ratio ?? 4);
    this.setKnee(options.kneeDb ?? 6);
    this.setAttack(options.attackMs ?? 10);
    this.setRelease(options.releaseMs ?? 150);
    this.setMakeup(options.makeupDb ?? 0);
    this.reset();
  }

  /** Current (smoothed) threshold in dBFS. */
  get threshold(): Decibels {
    return this.#threshold.value;
  }

  /** Current (smoothed) ratio. */
  get ratio(): number {
    return this.#ratio.value;
  }

  /** Current (smoothed) knee width in dB. */
  get knee(): Decibels {
    return this.#knee.value;
  }

  /** Current (smoothed) makeup gain in dB. */
  get makeup(): Decibels {
    return this.#makeup.value;
  }

  /** Attack time constant in ms. */
  get attackMs(): Milliseconds {
    return this.#attackMs;
  }

  /** Release time constant in ms. */
  get releaseMs(): Milliseconds {
    return this.#releaseMs;
  }

  /** Current gain reduction in dB (<= 0), without makeup. */
  get gainReductionDb(): Decibels {
    return this.#reduction;
  }

  /**
   * Glide the threshold to `db` dBFS, clamped to
   * [{@linkcode COMPRESSOR_MIN_THRESHOLD_DB}, 0]. Control side.
   * @throws {RangeError} if `db` is not finite.
   */
  setThreshold(db: Decibels): void {
    checkFinite("threshold", db);
    this.#threshold.setTarget(clamp(db, COMPRESSOR_MIN_THRESHOLD_DB, 0));
  }

  /**
   * Glide the ratio to `ratio`, clamped to [1, {@linkcode COMPRESSOR_MAX_RATIO}]. Control side.
   * @throws {RangeError} if `ratio` is not finite.
   */
  setRatio(ratio: number): void {
    checkFinite("ratio", ratio);
    this.#ratio.setTarget(clamp(ratio, 1, COMPRESSOR_MAX_RATIO));
  }

  /**
   * Glide the knee width to `db` dB, clamped to [0, {@linkcode COMPRESSOR_MAX_KNEE_DB}]. Control side.
   * @throws {RangeError} if `db` is not finite.
   */
  setKnee(db: Decibels): void {
    checkFinite("knee", db);
    this.#knee.setTarget(clamp(db, 0, COMPRESSOR_MAX_KNEE_DB));
  }

  /**
   * Glide the makeup gain to `db` dB, clamped to ±{@linkcode COMPRESSOR_MAX_MAKEUP_DB}. Control side.
   * @throws {RangeError} if `db` is not finite.
   */
  setMakeup(db: Decibels): void {
    checkFinite("makeup gain", db);
    const max = COMPRESSOR_MAX_MAKEUP_DB;
    this.#makeup.setTarget(clamp(db, -max, max));
  }

  /**
   * Set the attack time constant to `ms`, clamped to
   * {@linkcode COMPRESSOR_ATTACK_RANGE_MS}. Control side.
   * @throws {RangeError} if `ms` is not finite.
   */
  setAttack(ms: Milliseconds): void {
    checkFinite("attack time", ms);
    const [lo, hi] = COMPRESSOR_ATTACK_RANGE_MS;
    this.#attackMs = clamp(ms, lo, hi);
    this.#attack = timeCoefficient(this.#attackMs, this.sampleRate);
  }

  /**
   * Set the release time constant to `ms`, clamped to
   * {@linkcode COMPRESSOR_RELEASE_RANGE_MS}. Control side.
   * @throws {RangeError} if `ms` is not finite.
   */
  setRelease(ms: Milliseconds): void {
    checkFinite("release time", ms);
    const [lo, hi] = COMPRESSOR_RELEASE_RANGE_MS;
    this.#releaseMs = clamp(ms, lo, hi);
    this.#release = timeCoefficient(this.#releaseMs, this.sampleRate);
  }

  /** No gain reduction; parameters jump to their targets. Control side. */
  reset(): void {
    this.#reduction = 0;
    this.#threshold.reset(this.#threshold.target);
    this.#ratio.reset(this.#ratio.target);
    this.#knee.reset(this.#knee.target);
    this.#makeup.reset(this.#makeup.target);
  }

  /**
   * Write the complete state — gain reduction, attack and release times and
   * the parameter smoothers — to `dst` at `offset` ({@linkcode stateSize}
   * slots); returns the offset after it. A compressor of the same rate loaded
   * from it continues bit-identically. Control side.
   * @throws {RangeError} if `dst` is too short.
   */
  saveState(dst: Float64Array, offset: number): number {
    checkStateRange(dst, offset, COMPRESSOR_STATE_SIZE);
    dst[offset] = this.#reduction;
    dst[offset + 1] = this.#attackMs;
    dst[offset + 2] = this.#releaseMs;
    let o = this.#threshold.saveState(dst, offset + 3);
    o = this.#ratio.saveState(dst, o);
    o = this.#knee.saveState(dst, o);
    return this.#makeup.saveState(dst, o);
  }

  /**
   * Read the state written by {@linkcode saveState}; returns the offset after
   * it. Values a valid snapshot cannot hold are repaired: the gain reduction
   * clamped to [−1000, 0] dB (non-finite: 0), attack and release clamped to
   * their ranges (non-finite: unchanged), smoothers clamped to their ranges.
   * Control side.
   * @throws {RangeError} if `src` is too short.
   */
  loadState(src: Float64Array, offset: number): number {
    checkStateRange(src, offset, COMPRESSOR_STATE_SIZE);
    const r = src[offset] as number;
    this.#reduction = Number.isFinite(r) ? clamp(r, MIN_REDUCTION_DB, 0) : 0;
    const attack = src[offset + 1] as number;
    if (Number.isFinite(attack)) this.setAttack(attack);
    const release = src[offset + 2] as number;
    if (Number.isFinite(release)) this.setRelease(release);
    const maxMakeup = COMPRESSOR_MAX_MAKEUP_DB;
    let o = loadSmootherClamped(this.#threshold, src, offset + 3, COMPRESSOR_MIN_THRESHOLD_DB, 0);
    o = loadSmootherClamped(this.#ratio, src, o, 1, COMPRESSOR_MAX_RATIO);
    o = loadSmootherClamped(this.#knee, src, o, 0, COMPRESSOR_MAX_KNEE_DB);
    return loadSmootherClamped(this.#makeup, src, o, -maxMakeup, maxMakeup);
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
    const thresholds = this.#thresholds;
    const ratios = this.#ratios;
    const knees = this.#knees;
    const makeups = this.#makeups;
    const attack = this.#attack;
    const release = this.#release;
    const toDb = 20 / Math.LN10;
    const fromDb = Math.LN10 / 20;
    let env = this.#reduction;
    let bad = 0;
    for (let c = s; c < e; c += SCRATCH_FRAMES) {
      const n = e - c < SCRATCH_FRAMES ? e - c : SCRATCH_FRAMES;
      this.#threshold.fill(thresholds, 0, n);
      this.#ratio.fill(ratios, 0, n);
      this.#knee.fill(knees, 0, n);
      this.#makeup.fill(makeups, 0, n);
      for (let i = 0; i < n; i++) {
        const o = 2 * (c + i);
        const l = buf[o] as number;
        const r = buf[o + 1] as number;
        const al = l < 0 ? -l : l;
        const ar = r < 0 ? -r : r;
        // NaN fails both comparisons and so reaches Math.log, then `bad`.
        const peak = al > ar ? al : ar;
        const level = peak < FLOOR_LEVEL ? FLOOR_DB : Math.log(peak) * toDb;
        // compressorGain(level, threshold, ratio, knee), written out: see _scratch.ts.
        const kw = knees[i] as number;
        const over = level - (thresholds[i] as number);
        const slope = 1 / (ratios[i] as number) - 1;
        let target = 0;
        if (2 * over < -kw) target = 0;
        else if (kw > 0 && 2 * (over < 0 ? -over : over) <= kw) {
          const z = over + kw / 2;
          target = (slope * z * z) / (2 * kw);
        } else target = over * slope;
        const a = target < env ? attack : release;
        env = target + a * (env - target);
        if (env > -FLUSH_DB) env = 0;
        const gain = Math.exp((env + (makeups[i] as number)) * fromDb);
        const yL = l * gain;
        const yR = r * gain;
        bad += yL - yL + (yR - yR);
        buf[o] = yL;
        buf[o + 1] = yR;
      }
    }
    this.#reduction = env;
    if (bad !== 0 || env - env !== 0) {
      if (e > s) buf.fill(0, 2 * s, 2 * e);
      this.reset();
    }
  }
}
