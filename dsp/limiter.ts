/**
 * Master brick-wall limiter: a stereo-linked look-ahead peak limiter whose
 * output never exceeds its ceiling.
 *
 * Per frame, with c the ceiling as a linear gain and p = max(|L|, |R|):
 * 1. required gain r = min(1, c / p);
 * 2. release envelope env = min(r, env + (1 − env)·k): it drops at once and
 *    recovers exponentially with the release time constant;
 * 3. hold: the minimum of env over the last D + 1 frames (D = look-ahead);
 * 4. smooth: the mean of the held values over the last D + 1 frames;
 * 5. the audio, delayed by D frames, is multiplied by that mean.
 *
 * The mean at frame n averages minima over windows that all contain frame
 * n − D, so it is at most env[n − D] <= r[n − D]: the gain applied to each
 * sample is at most what that sample needs, and the gain falls in a straight
 * line over the D + 1 frames before a peak instead of jumping (after Geraint
 * Luff, "Designing a straightforward limiter", Signalsmith Audio, 2022).
 * Finally every sample is clamped to just inside the ceiling, a last line of
 * defence against rounding and ceiling changes.
 *
 * @module
 */

import { checkStateRange } from "./_state.ts";
import { checkFinite, checkSampleRate } from "./_checks.ts";
import { SCRATCH_FRAMES } from "./_scratch.ts";
import { DEFAULT_SMOOTHING_MS, ParamSmoother, SMOOTHER_STATE_SIZE } from "./smoother.ts";
import type { Decibels, Frames, Hz, Milliseconds } from "./units.ts";

/** Default ceiling in dBFS. */
export const LIMITER_DEFAULT_CEILING_DB: Decibels = -0.3;
/** Lowest ceiling in dBFS; the ceiling is clamped to [LIMITER_MIN_CEILING_DB, 0]. */
export const LIMITER_MIN_CEILING_DB: Decibels = -60;
/** Default look-ahead (and latency) in ms. */
export const LIMITER_DEFAULT_LOOKAHEAD_MS: Milliseconds = 1.5;
/** Longest look-ahead in ms: the size of the preallocated buffers. */
export const LIMITER_MAX_LOOKAHEAD_MS: Milliseconds = 10;
/** Default release time constant in ms. */
export const LIMITER_DEFAULT_RELEASE_MS: Milliseconds = 100;
/** Release time range in ms. */
export const LIMITER_RELEASE_RANGE_MS: readonly [Milliseconds, Milliseconds] = [1, 5000];

/**
 * The hard clamp sits at ceiling·(1 − 2⁻²³): rounded to float32 (whose
 * relative spacing is at most 2⁻²³) it still lands below the ceiling.
 */
const CLAMP_SCALE = 1 - 2 ** -23;

/** Snapshot slots before the buffers: release, envelope, counters, sums, minimum, ceiling smoother. */
const OWN_STATE = 9 + SMOOTHER_STATE_SIZE;

/** Look-ahead D in frames for `lookaheadMs`; throws if out of range. */
function lookaheadFrames(lookaheadMs: Milliseconds, sampleRate: Hz): Frames {
  if (!(lookaheadMs > 0 && lookaheadMs <= LIMITER_MAX_LOOKAHEAD_MS)) {
    throw new RangeError(
      `look-ahead must be between 0 (exclusive) and ${LIMITER_MAX_LOOKAHEAD_MS} ms, got ${lookaheadMs}`,
    );
  }
  return Math.max(1, Math.round((lookaheadMs * sampleRate) / 1000));
}

/**
 * Float64 slots of a {@linkcode SafetyLimiter} snapshot ({@linkcode SafetyLimiter.stateSize})
 * for a look-ahead of `lookaheadMs` at `sampleRate` Hz: 5·D + 16 with D the
 * look-ahead in frames (the hold queue, the moving-mean window and the
 * stereo audio delay, plus 11 for the rest). 376 for the default 1.5 ms at 48 kHz.
 *
 * @throws {RangeError} for an out-of-range rate or look-ahead.
 *
 * @example
 * ```ts
 * import { safetyLimiterStateSize } from "./limiter.ts";
 * safetyLimiterStateSize(48000); // 376
 * ```
 */
export function safetyLimiterStateSize(
  sampleRate: Hz,
  lookaheadMs: Milliseconds = LIMITER_DEFAULT_LOOKAHEAD_MS,
): number {
  checkSampleRate(sampleRate);
  return OWN_STATE + 5 * lookaheadFrames(lookaheadMs, sampleRate) + 5;
}

/**
 * Linear gain of a ceiling in dBFS (clamped to [{@linkcode LIMITER_MIN_CEILING_DB}, 0]):
 * 10^(ceilingDb/20).
 *
 * @throws {RangeError} if `ceilingDb` is not finite.
 *
 * @example
 * ```ts
 * import { ceilingGain } from "./limiter.ts";
 * ceilingGain(-0.3); // 0.9660…
 * ```
 */
export function ceilingGain(ceilingDb: Decibels): number {
  checkFinite("ceiling", ceilingDb);
  const db = ceilingDb < LIMITER_MIN_CEILING_DB
    ? LIMITER_MIN_CEILING_DB
    : ceilingDb > 0
    ? 0
    : ceilingDb;
  return Math.pow(10, db / 20);
}

/** Options of {@linkcode SafetyLimiter}. */
export interface SafetyLimiterOptions {
  /** Ceiling in dBFS; default {@linkcode LIMITER_DEFAULT_CEILING_DB}. */
  readonly ceilingDb?: Decibels;
  /**
   * Look-ahead in ms, fixed for the instance, (0, {@linkcode LIMITER_MAX_LOOKAHEAD_MS}];
   * default {@linkcode LIMITER_DEFAULT_LOOKAHEAD_MS}. Rounded to whole frames, at least 1.
   */
  readonly lookaheadMs?: Milliseconds;
  /** Release time constant in ms; default {@linkcode LIMITER_DEFAULT_RELEASE_MS}. */
  readonly releaseMs?: Milliseconds;
  /** Smoothing time constant of the ceiling in ms; default 5. */
  readonly smoothingMs?: Milliseconds;
  /**
   * Highest ceiling in dBFS this limiter takes, from {@linkcode SafetyLimiter.setCeiling}
   * or a snapshot, clamped to [{@linkcode LIMITER_MIN_CEILING_DB}, 0]; default 0.
   */
  readonly maxCeilingDb?: Decibels;
}

/**
 * Look-ahead brick-wall limiter over interleaved stereo blocks, processed in
 * place (see the module doc). Output is delayed by {@linkcode latencyFrames}.
 * Every output sample is at most the current ceiling in magnitude, whatever
 * the input: non-finite input samples are treated as 0 (put an
 * `OutputGuard` (output_guard.ts) first to count and fade them). The ceiling is
 * smoothed; the release applies at once.
 *
 * @example
 * ```ts
 * import { SafetyLimiter } from "./limiter.ts";
 * const limiter = new SafetyLimiter(48000, { ceilingDb: -0.3 });
 * const block = new Float32Array(2 * 128); // L,R,L,R…
 * limiter.process(block, 0, 128); // now |block[i]| <= 10^(-0.3/20)
 * ```
 */
export class SafetyLimiter {
  /** Sample rate in Hz. */
  readonly sampleRate: Hz = 0;
  /** Look-ahead D in frames: the output is the input delayed by this much. */
  readonly latencyFrames: Frames = 1;
  /** Float64 slots needed by {@linkcode saveState}: {@linkcode safetyLimiterStateSize}. */
  readonly stateSize: number = 0;
  readonly #ceiling: ParamSmoother;
  /** Highest ceiling as a linear gain (the maxCeilingDb option). */
  readonly #maxCeiling: number = 1;
  #releaseCoef = 0;
  #releaseMs = 0;
  /** Release envelope. */
  #env = 1;
  /** Frame counter for the hold's expiry times. */
  #frame = 0;
  /** Hold: a monotonic queue of (value, frame), ring of D + 2 entries. */
  readonly #holdValues: Float64Array;
  readonly #holdFrames: Float64Array;
  #holdHead = 0;
  #holdCount = 0;
  /** Moving mean: the last D + 1 held values and their sum. */
  readonly #box: Float64Array;
  #boxPos = 0;
  #boxSum = 0;
  /** Audio delay lines of D frames. */
  readonly #delayL: Float64Array;
  readonly #delayR: Float64Array;
  #delayPos = 0;
  /** Smallest gain applied during the last process call. */
  #minGain = 1;
  readonly #ceilings = new Float64Array(SCRATCH_FRAMES);

  /**
   * A limiter at rest (gain 1, silent look-ahead), its buffers allocated for the look-ahead.
   *
   * @param sampleRate sample rate in Hz.
   * @param options ceiling, look-ahead, release and smoothing time.
   * @throws {RangeError} for an out-of-range rate or look-ahead, or a non-finite option.
   */
  constructor(sampleRate: Hz, options: SafetyLimiterOptions = {}) {
    checkSampleRate(sampleRate);
    this.sampleRate = sampleRate;
    const d = lookaheadFrames(options.lookaheadMs ?? LIMITER_DEFAULT_LOOKAHEAD_MS, sampleRate);
    this.latencyFrames = d;
    this.stateSize = OWN_STATE + 5 * d + 5;
    this.#maxCeiling = ceilingGain(options.maxCeilingDb ?? 0);
    this.#holdValues = new Float64Array(d + 2);
    this.#holdFrames = new Float64Array(d + 2);
    this.#box = new Float64Array(d + 1);
    this.#delayL = new Float64Array(d);
    this.#delayR = new Float64Array(d);
    this.#ceiling = new ParamSmoother(sampleRate, {
      timeMs: options.smoothingMs ?? DEFAULT_SMOOTHING_MS,
      initial: 1,
    });
    this.setCeiling(options.ceilingDb ?? LIMITER_DEFAULT_CEILING_DB);
    this.setRelease(options.releaseMs ?? LIMITER_DEFAULT_RELEASE_MS);
    this.reset();
  }

  /** Current (smoothed) ceiling as a linear gain. */
  get ceiling(): number {
    return this.#ceiling.value;
  }

  /** Release time constant in ms. */
  get releaseMs(): Milliseconds {
    return this.#releaseMs;
  }

  /** Gain reduction in dB (<= 0) at its deepest during the last {@linkcode process} call. */
  get gainReductionDb(): Decibels {
    return 20 * Math.log10(this.#minGain);
  }

  /**
   * Glide the ceiling to `db` dBFS, clamped to [{@linkcode LIMITER_MIN_CEILING_DB}, 0]
   * and to the `maxCeilingDb` option. Control side.
   * @throws {RangeError} if `db` is not finite.
   */
  setCeiling(db: Decibels): void {
    const g = ceilingGain(db);
    this.#ceiling.setTarget(g > this.#maxCeiling ? this.#maxCeiling : g);
  }

  /**
   * Set the release time constant to `ms`, clamped to {@linkcode LIMITER_RELEASE_RANGE_MS}.
   * Control side.
   * @throws {RangeError} if `ms` is not finite.
   */
  setRelease(ms: Milliseconds): void {
    checkFinite("release time", ms);
    const [lo, hi] = LIMITER_RELEASE_RANGE_MS;
    this.#releaseMs = ms < lo ? lo : ms > hi ? hi : ms;
    this.#releaseCoef = 1 - Math.exp(-1000 / (this.#releaseMs * this.sampleRate));
  }

  /** Clear the delay and the gain history (gain 1) and settle the ceiling. Control side. */
  reset(): void {
    this.#resetGain();
    this.#delayL.fill(0);
    this.#delayR.fill(0);
    this.#delayPos = 0;
    this.#minGain = 1;
    this.#ceiling.reset(this.#ceiling.target);
  }

  /**
   * Write the complete state — release time, envelope, hold queue, moving
   * mean, audio delay, ceiling smoother and the last call's deepest gain —
   * to `dst` at `offset` ({@linkcode stateSize} slots); returns the offset
   * after it. A limiter of the same rate and look-ahead loaded from it
   * continues bit-identically. Control side.
   * @throws {RangeError} if `dst` is too short.
   */
  saveState(dst: Float64Array, offset: number): number {
    checkStateRange(dst, offset, this.stateSize);
    dst[offset] = this.#releaseMs;
    dst[offset + 1] = this.#env;
    dst[offset + 2] = this.#frame;
    dst[offset + 3] = this.#holdHead;
    dst[offset + 4] = this.#holdCount;
    dst[offset + 5] = this.#boxPos;
    dst[offset + 6] = this.#boxSum;
    dst[offset + 7] = this.#delayPos;
    dst[offset + 8] = this.#minGain;
    let o = this.#ceiling.saveState(dst, offset + 9);
    for (const a of [this.#holdValues, this.#holdFrames, this.#box, this.#delayL, this.#delayR]) {
      dst.set(a, o);
      o += a.length;
    }
    return o;
  }

  /**
   * Read the state written by {@linkcode saveState} of a limiter of the same
   * rate and look-ahead; returns the offset after it. Values a valid snapshot
   * cannot hold are repaired: the release clamped to its range (non-finite:
   * unchanged), the ceiling's value and target to [−60 dBFS, maxCeilingDb]
   * (a non-finite one from the other, both: the maximum), non-finite delayed
   * samples to 0, a delay position outside the line to 0. The gain history
   * (envelope, hold queue, moving mean) is checked as a whole — values in
   * 0..1, queue frames increasing within the window, the sum matching the
   * window — and restarted at gain 1 if anything is off; whatever it holds,
   * the output stays within the ceiling. Control side.
   * @throws {RangeError} if `src` is too short.
   */
  loadState(src: Float64Array, offset: number): number {
    checkStateRange(src, offset, this.stateSize);
    const at = (i: number): number => src[offset + i] as number;
    if (Number.isFinite(at(0))) this.setRelease(at(0));
    const c = this.#ceiling;
    let o = c.loadState(src, offset + 9);
    const lo = ceilingGain(LIMITER_MIN_CEILING_DB);
    const hi = this.#maxCeiling;
    const fix = (x: number, fallback: number): number =>
      Number.isFinite(x) ? (x < lo ? lo : x > hi ? hi : x) : fallback;
    const target = fix(c.target, fix(c.value, hi));
    const value = fix(c.value, target);
    if (value !== c.value || target !== c.target) {
      c.reset(value);
      c.setTarget(target);
    }
    const arrays = [this.#holdValues, this.#holdFrames, this.#box, this.#delayL, this.#delayR];
    for (const a of arrays) {
      for (let i = 0; i < a.length; i++) {
        const x = src[o + i] as number;
        a[i] = Number.isFinite(x) ? x : 0;
      }
      o += a.length;
    }
    const d = this.latencyFrames;
    const dp = at(7);
    this.#delayPos = Number.isInteger(dp) && dp >= 0 && dp < d ? dp : 0;
    const m = at(8);
    this.#minGain = m >= 0 && m <= 1 ? m : 1;
    this.#env = at(1);
    this.#frame = at(2);
    this.#holdHead = at(3);
    this.#holdCount = at(4);
    this.#boxPos = at(5);
    this.#boxSum = at(6);
    if (!this.#gainStateValid()) this.#resetGain();
    return o;
  }

  /** True when envelope, hold queue and moving mean are a state `process` can reach. */
  #gainStateValid(): boolean {
    const env = this.#env;
    const frame = this.#frame;
    const head = this.#holdHead;
    const count = this.#holdCount;
    const values = this.#holdValues;
    const frames = this.#holdFrames;
    const cap = values.length;
    const box = this.#box;
    const window = box.length;
    if (!(env >= 0 && env <= 1)) return false;
    if (!(Number.isSafeInteger(frame) && frame >= 0)) return false;
    if (!(Number.isInteger(head) && head >= 0 && head < cap)) return false;
    if (!(Number.isInteger(count) && count >= 0 && count <= window)) return false;
    if (!(Number.isInteger(this.#boxPos) && this.#boxPos >= 0 && this.#boxPos < window)) {
      return false;
    }
    // Queue: values increasing up to env (the newest), frames increasing within the window.
    let lastValue = -1;
    let lastFrame = frame - window - 1;
    for (let k = 0; k < count; k++) {
      const i = head + k < cap ? head + k : head + k - cap;
      const v = values[i] as number;
      const f = frames[i] as number;
      if (!(v > lastValue && v <= 1 && Number.isInteger(f) && f > lastFrame && f < frame)) {
        return false;
      }
      lastValue = v;
      lastFrame = f;
    }
    if (count > 0 && lastValue !== env) return false;
    // Window: values in 0..1 whose sum the running sum matches (up to rounding).
    let sum = 0;
    for (let i = 0; i < window; i++) {
      const v = box[i] as number;
      if (!(v >= 0 && v <= 1)) return false;
      sum += v;
    }
    const err = this.#boxSum - sum;
    return err > -1e-6 && err < 1e-6;
  }

  /** Gain history at rest: envelope 1, empty hold queue, moving mean of ones. */
  #resetGain(): void {
    this.#env = 1;
    this.#frame = 0;
    this.#holdHead = 0;
    this.#holdCount = 0;
    this.#box.fill(1);
    this.#boxPos = 0;
    this.#boxSum = this.#box.length;
  }

  /**
   * Limit frames [start, end) of the interleaved stereo block `buf` in place;
   * the range is clamped to the block. Render loop; allocates nothing, never
   * throws.
   */
  process(buf: Float32Array, start: Frames, end: Frames): void {
    const frames = buf.length >> 1;
    const s = start > 0 ? (start < frames ? start | 0 : frames) : 0;
    const e = end > 0 ? (end < frames ? end | 0 : frames) : 0;
    const ceilings = this.#ceilings;
    const k = this.#releaseCoef;
    const d = this.latencyFrames;
    const holdValues = this.#holdValues;
    const holdFrames = this.#holdFrames;
    const holdCap = holdValues.length;
    const box = this.#box;
    const boxLen = box.length;
    const delayL = this.#delayL;
    const delayR = this.#delayR;
    let env = this.#env;
    let frame = this.#frame;
    let head = this.#holdHead;
    let count = this.#holdCount;
    let bp = this.#boxPos;
    let sum = this.#boxSum;
    let dp = this.#delayPos;
    let minGain = 1;
    for (let c = s; c < e; c += SCRATCH_FRAMES) {
      const n = e - c < SCRATCH_FRAMES ? e - c : SCRATCH_FRAMES;
      this.#ceiling.fill(ceilings, 0, n);
      for (let i = 0; i < n; i++) {
        const o = 2 * (c + i);
        let l = buf[o] as number;
        let r = buf[o + 1] as number;
        if (l - l !== 0) l = 0; // NaN or ±Infinity
        if (r - r !== 0) r = 0;
        const al = l < 0 ? -l : l;
        const ar = r < 0 ? -r : r;
        const peak = al > ar ? al : ar;
        const ceil = ceilings[i] as number;
        const need = peak > ceil ? ceil / peak : 1;
        env += (1 - env) * k;
        if (need < env) env = need;
        // Hold: drop queued values >= env from the back, push env, expire the front.
        while (count > 0) {
          const last = head + count - 1;
          if ((holdValues[last < holdCap ? last : last - holdCap] as number) < env) break;
          count--;
        }
        const tail = head + count;
        const t = tail < holdCap ? tail : tail - holdCap;
        holdValues[t] = env;
        holdFrames[t] = frame;
        count++;
        if ((holdFrames[head] as number) <= frame - boxLen) {
          head = head + 1 === holdCap ? 0 : head + 1;
          count--;
        }
        const held = holdValues[head] as number;
        // Moving mean of the held values, re-summed exactly once per lap against drift.
        sum += held - (box[bp] as number);
        box[bp] = held;
        bp++;
        if (bp === boxLen) {
          bp = 0;
          sum = 0;
          for (let j = 0; j < boxLen; j++) sum += box[j] as number;
        }
        const gain = sum / boxLen;
        if (gain < minGain) minGain = gain;
        frame++;
        // Delay the audio by D frames, apply the gain, clamp.
        let yL = (delayL[dp] as number) * gain;
        let yR = (delayR[dp] as number) * gain;
        delayL[dp] = l;
        delayR[dp] = r;
        dp = dp + 1 === d ? 0 : dp + 1;
        const lim = ceil * CLAMP_SCALE;
        yL = yL > lim ? lim : yL < -lim ? -lim : yL;
        yR = yR > lim ? lim : yR < -lim ? -lim : yR;
        buf[o] = yL;
        buf[o + 1] = yR;
      }
    }
    this.#env = env;
    this.#frame = frame;
    this.#holdHead = head;
    this.#holdCount = count;
    this.#boxPos = bp;
    this.#boxSum = sum;
    this.#delayPos = dp;
    this.#minGain = minGain;
  }
}
