/**
 * Stereo feedback delay with optional ping-pong routing and tempo sync.
 *
 * The delay time is a whole number of frames (see {@linkcode delayFrames}),
 * so an impulse comes back exactly on its sample and repeats are not dulled
 * by interpolation. A time change never jumps the read position: the output
 * crossfades linearly from the old tap to the new one over
 * {@linkcode DELAY_CROSSFADE_MS}, and a change arriving mid-fade waits for the
 * fade to finish.
 *
 * @module
 */

import { checkStateRange, loadDelayLine, loadSmootherClamped } from "./_state.ts";
import { checkFinite, checkSampleRate } from "./_checks.ts";
import { SCRATCH_FRAMES } from "./_scratch.ts";
import { DEFAULT_SMOOTHING_MS, ParamSmoother, SMOOTHER_STATE_SIZE } from "./smoother.ts";
import type { Frames, Hz, Milliseconds } from "./units.ts";

/** Largest accepted `maxTimeMs` (and so delay time) in ms. */
export const DELAY_MAX_TIME_MS: Milliseconds = 4000;
/** Default `maxTimeMs`: the delay line's length in ms. */
export const DELAY_DEFAULT_MAX_TIME_MS: Milliseconds = 2000;
/** Feedback is clamped to [0, DELAY_MAX_FEEDBACK]. */
export const DELAY_MAX_FEEDBACK = 0.95;
/** Length in ms of the crossfade between the old and the new tap on a time change. */
export const DELAY_CROSSFADE_MS: Milliseconds = 30;
/** Line values smaller than this in magnitude are stored as 0 (denormal guard). */
export const DELAY_FLUSH_LEVEL = 1e-20;

/**
 * Line values a snapshot may hold: {@linkcode StereoDelay.loadState} zeroes
 * anything beyond (or non-finite). 80 dB over full scale: the lines only get
 * there from input 100 times beyond where the master's output guard already
 * calls it a runaway.
 */
export const DELAY_STATE_LIMIT = 1e4;

/** Snapshot slots before the lines: write position, taps, pending time, fade, 3 smoothers. */
const OWN_STATE = 5 + 3 * SMOOTHER_STATE_SIZE;

/** Lowest tempo accepted by {@linkcode tempoSyncMs}, in beats per minute. */
const MIN_BPM = 1;
/** Highest tempo accepted by {@linkcode tempoSyncMs}, in beats per minute. */
const MAX_BPM = 1000;
/** Most beats accepted by {@linkcode tempoSyncMs}. */
const MAX_BEATS = 1024;

/**
 * Length in ms of `beats` beats at `bpm` beats per minute: 60000·beats / bpm.
 * A beat is a quarter note, so an eighth note is 0.5 beats and a dotted
 * eighth 0.75.
 *
 * @throws {RangeError} if `bpm` is not between 1 and 1000 or `beats` not between 0 and 1024.
 *
 * @example
 * ```ts
 * import { tempoSyncMs } from "./delay.ts";
 * tempoSyncMs(120, 1); // 500: a quarter note at 120 bpm
 * tempoSyncMs(120, 0.75); // 375: a dotted eighth
 * ```
 */
export function tempoSyncMs(bpm: number, beats: number): Milliseconds {
  if (!(bpm >= MIN_BPM && bpm <= MAX_BPM)) {
    throw new RangeError(`tempo must be between ${MIN_BPM} and ${MAX_BPM} bpm, got ${bpm}`);
  }
  if (!(beats >= 0 && beats <= MAX_BEATS)) {
    throw new RangeError(`beats must be between 0 and ${MAX_BEATS}, got ${beats}`);
  }
  return (60000 * beats) / bpm;
}

/**
 * Whole frames nearest to `timeMs` ms at `sampleRate` Hz:
 * round(timeMs·sampleRate / 1000).
 *
 * @throws {RangeError} if `timeMs` is not finite or the rate is out of range.
 *
 * @example
 * ```ts
 * import { delayFrames } from "./delay.ts";
 * delayFrames(500, 48000); // 24000
 * ```
 */
export function delayFrames(timeMs: Milliseconds, sampleRate: Hz): Frames {
  checkSampleRate(sampleRate);
  checkFinite("delay time", timeMs);
  return Math.round((timeMs * sampleRate) / 1000);
}

/** Longest delay in frames for a line of `maxMs` ms; throws if `maxMs` is out of range. */
function maxDelayFrames(maxMs: Milliseconds, sampleRate: Hz): Frames {
  if (!(maxMs >= 1 && maxMs <= DELAY_MAX_TIME_MS)) {
    throw new RangeError(
      `maximum delay time must be between 1 and ${DELAY_MAX_TIME_MS} ms, got ${maxMs}`,
    );
  }
  return Math.max(1, Math.ceil((maxMs * sampleRate) / 1000));
}

/**
 * Float64 slots of a {@linkcode StereoDelay} snapshot ({@linkcode StereoDelay.stateSize})
 * for a line of `maxTimeMs` at `sampleRate` Hz: 11 for positions, taps, fade
 * and smoothers plus both lines, 2·(maxFrames + 1) with maxFrames =
 * ceil(maxTimeMs·rate / 1000) (192013 for the default 2000 ms at 48 kHz).
 *
 * @throws {RangeError} for an out-of-range rate or `maxTimeMs`.
 *
 * @example
 * ```ts
 * import { stereoDelayStateSize } from "./delay.ts";
 * stereoDelayStateSize(48000, 2000); // 192013
 * ```
 */
export function stereoDelayStateSize(
  sampleRate: Hz,
  maxTimeMs: Milliseconds = DELAY_DEFAULT_MAX_TIME_MS,
): number {
  checkSampleRate(sampleRate);
  return OWN_STATE + 2 * (maxDelayFrames(maxTimeMs, sampleRate) + 1);
}

/** Options of {@linkcode StereoDelay}. */
export interface StereoDelayOptions {
  /** Length of the delay line in ms, 1..{@linkcode DELAY_MAX_TIME_MS}; default 2000. */
  readonly maxTimeMs?: Milliseconds;
  /** Starting delay time in ms; default 375. */
  readonly timeMs?: Milliseconds;
  /** Starting feedback 0..{@linkcode DELAY_MAX_FEEDBACK}; default 0.4. */
  readonly feedback?: number;
  /** Starting wet/dry mix, 0 (dry) .. 1 (wet only); default 0.3. */
  readonly mix?: number;
  /** Start in ping-pong mode; default false. */
  readonly pingPong?: boolean;
  /** Smoothing time constant of feedback, mix and ping-pong routing in ms; default 5. */
  readonly smoothingMs?: Milliseconds;
}

/**
 * Stereo delay over interleaved stereo blocks, processed in place.
 *
 * Per frame, with `wet` the delayed line outputs:
 * - normal: line L ← in L + feedback·wet L, line R ← in R + feedback·wet R;
 * - ping-pong: line L ← (in L + in R)/2 + feedback·wet R, line R ← feedback·wet L,
 *   so repeats alternate L, R, L… each `feedback` times the previous one;
 * - out = dry + mix·(wet − dry).
 *
 * Feedback, mix and the routing (a 0..1 blend between the two) are smoothed;
 * time changes crossfade (see the module doc). The line, of `maxTimeMs`, is
 * allocated by the constructor. If a non-finite value appears (from the
 * input), the block range is zeroed and the lines cleared.
 *
 * @example
 * ```ts
 * import { StereoDelay, tempoSyncMs } from "./delay.ts";
 * const delay = new StereoDelay(48000, { feedback: 0.5, mix: 0.4, pingPong: true });
 * delay.setTime(tempoSyncMs(120, 0.75));
 * const block = new Float32Array(2 * 128); // L,R,L,R…
 * delay.process(block, 0, 128);
 * ```
 */
export class StereoDelay {
  /** Sample rate in Hz. */
  readonly sampleRate: Hz = 0;
  /** Longest delay in frames (the line length minus one). */
  readonly maxFrames: Frames = 0;
  /** Float64 slots needed by {@linkcode saveState}: {@linkcode stereoDelayStateSize}. */
  readonly stateSize: number = 0;
  readonly #lineL: Float32Array;
  readonly #lineR: Float32Array;
  readonly #feedback: ParamSmoother;
  readonly #mix: ParamSmoother;
  readonly #pingPong: ParamSmoother;
  readonly #fadeStep: number = 1;
  #write = 0;
  /** Tap being read (frames). */
  #tapA = 1;
  /** Tap faded toward; equal to #tapA when not fading. */
  #tapB = 1;
  /** Tap asked for by the last setTime. */
  #pending = 1;
  /** Crossfade position 0..1 from #tapA to #tapB. */
  #fade = 0;
  readonly #feedbacks = new Float64Array(SCRATCH_FRAMES);
  readonly #mixes = new Float64Array(SCRATCH_FRAMES);
  readonly #routings = new Float64Array(SCRATCH_FRAMES);

  /**
   * A delay with silent lines of `maxTimeMs`, allocated here, parameters settled.
   *
   * @param sampleRate sample rate in Hz.
   * @param options line length, starting parameters and smoothing time.
   * @throws {RangeError} for an out-of-range rate or `maxTimeMs`, or a non-finite option.
   */
  constructor(sampleRate: Hz, options: StereoDelayOptions = {}) {
    checkSampleRate(sampleRate);
    this.sampleRate = sampleRate;
    this.maxFrames = maxDelayFrames(options.maxTimeMs ?? DELAY_DEFAULT_MAX_TIME_MS, sampleRate);
    this.stateSize = OWN_STATE + 2 * (this.maxFrames + 1);
    this.#lineL = new Float32Array(this.maxFrames + 1);
    this.#lineR = new Float32Array(this.maxFrames + 1);
    this.#fadeStep = 1 / Math.max(1, delayFrames(DELAY_CROSSFADE_MS, sampleRate));
    const timeMs = options.smoothingMs ?? DEFAULT_SMOOTHING_MS;
    this.#feedback = new ParamSmoother(sampleRate, { timeMs });
    this.#mix = new ParamSmoother(sampleRate, { timeMs });
    this.#pingPong = new ParamSmoother(sampleRate, { timeMs });
    this.setTime(options.timeMs ?? 375);
    this.setFeedback(options.feedback ?? 0.4);
    this.setMix(options.mix ?? 0.3);
    this.setPingPong(options.pingPong ?? false);
    this.reset();
  }

  /** Delay time in frames being read (the old tap while a crossfade runs). */
  get timeFrames(): Frames {
    return this.#tapA;
  }

  /** Delay time in ms asked for by the last {@linkcode setTime}, after rounding and clamping. */
  get timeMs(): Milliseconds {
    return (this.#pending * 1000) / this.sampleRate;
  }

  /** Current (smoothed) feedback. */
  get feedback(): number {
    return this.#feedback.value;
  }

  /** Current (smoothed) mix. */
  get mix(): number {
    return this.#mix.value;
  }

  /** True when ping-pong routing is selected. */
  get pingPong(): boolean {
    return this.#pingPong.target === 1;
  }

  /**
   * Set the delay time in ms, rounded to whole frames and clamped to
   * [1 frame, maxTimeMs]; the output crossfades to it. Control side.
   * @throws {RangeError} if `ms` is not finite.
   */
  setTime(ms: Milliseconds): void {
    const frames = delayFrames(ms, this.sampleRate);
    this.#pending = frames < 1 ? 1 : frames > this.maxFrames ? this.maxFrames : frames;
  }

  /**
   * Set the delay time to `beats` beats at `bpm` (see {@linkcode tempoSyncMs}). Control side.
   * @throws {RangeError} for a tempo outside 1..1000 bpm or beats outside 0..1024.
   */
  setTempoSync(bpm: number, beats: number): void {
    this.setTime(tempoSyncMs(bpm, beats));
  }

  /**
   * Glide the feedback to `amount`, clamped to [0, {@linkcode DELAY_MAX_FEEDBACK}]. Control side.
   * @throws {RangeError} if `amount` is not finite.
   */
  setFeedback(amount: number): void {
    checkFinite("feedback", amount);
    const max = DELAY_MAX_FEEDBACK;
    this.#feedback.setTarget(amount < 0 ? 0 : amount > max ? max : amount);
  }

  /**
   * Glide the mix to `mix`, clamped to 0 (dry) .. 1 (wet only). Control side.
   * @throws {RangeError} if `mix` is not finite.
   */
  setMix(mix: number): void {
    checkFinite("mix", mix);
    this.#mix.setTarget(mix < 0 ? 0 : mix > 1 ? 1 : mix);
  }

  /** Switch ping-pong routing on or off (the routing glides). Control side. */
  setPingPong(on: boolean): void {
    this.#pingPong.setTarget(on ? 1 : 0);
  }

  /** Clear the lines, jump to the asked-for time and settle every smoother. Control side. */
  reset(): void {
    this.#lineL.fill(0);
    this.#lineR.fill(0);
    this.#write = 0;
    this.#tapA = this.#pending;
    this.#tapB = this.#pending;
    this.#fade = 0;
    this.#feedback.reset(this.#feedback.target);
    this.#mix.reset(this.#mix.target);
    this.#pingPong.reset(this.#pingPong.target);
  }

  /**
   * Write the complete state — write position, taps, crossfade, the pending
   * time, smoothers and both lines — to `dst` at `offset` ({@linkcode stateSize}
   * slots); returns the offset after it. A delay of the same rate and line
   * length loaded from it continues bit-identically. Control side.
   * @throws {RangeError} if `dst` is too short.
   */
  saveState(dst: Float64Array, offset: number): number {
    checkStateRange(dst, offset, this.stateSize);
    dst[offset] = this.#write;
    dst[offset + 1] = this.#tapA;
    dst[offset + 2] = this.#tapB;
    dst[offset + 3] = this.#pending;
    dst[offset + 4] = this.#fade;
    let o = this.#feedback.saveState(dst, offset + 5);
    o = this.#mix.saveState(dst, o);
    o = this.#pingPong.saveState(dst, o);
    dst.set(this.#lineL, o);
    dst.set(this.#lineR, o + this.#lineL.length);
    return offset + this.stateSize;
  }

  /**
   * Read the state written by {@linkcode saveState} of a delay of the same
   * rate and line length; returns the offset after it. Values a valid
   * snapshot cannot hold are repaired: a position outside the line to 0, a
   * time that is not a whole number of frames in [1, maxFrames] to the
   * current one, a fade outside [0, 1) to 0, smoothers clamped to their
   * ranges, line values that are non-finite or beyond
   * ±{@linkcode DELAY_STATE_LIMIT} to 0. Control side.
   * @throws {RangeError} if `src` is too short.
   */
  loadState(src: Float64Array, offset: number): number {
    checkStateRange(src, offset, this.stateSize);
    const len = this.#lineL.length;
    const max = this.maxFrames;
    const tap = (x: number, fallback: number): number =>
      Number.isInteger(x) && x >= 1 && x <= max ? x : fallback;
    const w = src[offset] as number;
    this.#write = Number.isInteger(w) && w >= 0 && w < len ? w : 0;
    this.#pending = tap(src[offset + 3] as number, this.#pending);
    this.#tapA = tap(src[offset + 1] as number, this.#pending);
    this.#tapB = tap(src[offset + 2] as number, this.#tapA);
    const fade = src[offset + 4] as number;
    this.#fade = fade >= 0 && fade < 1 ? fade : 0;
    let o = loadSmootherClamped(this.#feedback, src, offset + 5, 0, DELAY_MAX_FEEDBACK);
    o = loadSmootherClamped(this.#mix, src, o, 0, 1);
    o = loadSmootherClamped(this.#pingPong, src, o, 0, 1);
    loadDelayLine(this.#lineL, src, o, DELAY_STATE_LIMIT);
    loadDelayLine(this.#lineR, src, o + len, DELAY_STATE_LIMIT);
    return offset + this.stateSize;
  }

  /**
   * Process frames [start, end) of the interleaved stereo block `buf` in
   * place (frame i at buf[2i], buf[2i+1]); the range is clamped to the block.
   * Render loop; allocates nothing, never throws.
   */
  process(buf: Float32Array, start: Frames, end: Frames): void {
    const frames = buf.length >> 1;
    const s = start > 0 ? (start < frames ? start | 0 : frames) : 0;
    const e = end > 0 ? (end < frames ? end | 0 : frames) : 0;
    const lineL = this.#lineL;
    const lineR = this.#lineR;
    const len = lineL.length;
    const feedbacks = this.#feedbacks;
    const mixes = this.#mixes;
    const routings = this.#routings;
    const step = this.#fadeStep;
    const pending = this.#pending;
    let w = this.#write;
    let a = this.#tapA;
    let b = this.#tapB;
    let fade = this.#fade;
    let bad = 0;
    for (let c = s; c < e; c += SCRATCH_FRAMES) {
      const n = e - c < SCRATCH_FRAMES ? e - c : SCRATCH_FRAMES;
      this.#feedback.fill(feedbacks, 0, n);
      this.#mix.fill(mixes, 0, n);
      this.#pingPong.fill(routings, 0, n);
      for (let i = 0; i < n; i++) {
        let ra = w - a;
        if (ra < 0) ra += len;
        let wetL = lineL[ra] as number;
        let wetR = lineR[ra] as number;
        if (a !== b) {
          let rb = w - b;
          if (rb < 0) rb += len;
          wetL += fade * ((lineL[rb] as number) - wetL);
          wetR += fade * ((lineR[rb] as number) - wetR);
          fade += step;
          if (fade >= 1) {
            a = b;
            fade = 0;
          }
        } else if (b !== pending) {
          b = pending;
        }
        const fb = feedbacks[i] as number;
        const pp = routings[i] as number;
        const m = mixes[i] as number;
        const o = 2 * (c + i);
        const inL = buf[o] as number;
        const inR = buf[o + 1] as number;
        const mono = 0.5 * (inL + inR);
        let toL = inL + pp * (mono - inL) + fb * (wetL + pp * (wetR - wetL));
        let toR = inR - pp * inR + fb * (wetR + pp * (wetL - wetR));
        // Denormal guard; NaN fails both tests and is kept, so it is caught below.
        if (toL > -DELAY_FLUSH_LEVEL && toL < DELAY_FLUSH_LEVEL) toL = 0;
        if (toR > -DELAY_FLUSH_LEVEL && toR < DELAY_FLUSH_LEVEL) toR = 0;
        lineL[w] = toL;
        lineR[w] = toR;
        w = w + 1 === len ? 0 : w + 1;
        const yL = inL + m * (wetL - inL);
        const yR = inR + m * (wetR - inR);
        bad += yL - yL + (yR - yR) + (toL - toL) + (toR - toR);
        buf[o] = yL;
        buf[o + 1] = yR;
      }
    }
    this.#write = w;
    this.#tapA = a;
    this.#tapB = b;
    this.#fade = fade;
    if (bad !== 0) {
      if (e > s) buf.fill(0, 2 * s, 2 * e);
      this.reset();
    }
  }
}
