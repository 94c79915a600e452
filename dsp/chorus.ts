/**
 * Stereo chorus: each channel through its own short delay whose time is
 * swept by a sine LFO, the right channel's LFO a quarter cycle ahead of the
 * left's, read with 4-point Catmull-Rom interpolation (exact for straight
 * lines, so the sweep adds no zipper noise).
 *
 * @module
 */

import { checkStateRange, loadDelayLine, loadSmootherClamped } from "./_state.ts";
import { checkFinite, checkSampleRate } from "./_checks.ts";
import { SCRATCH_FRAMES } from "./_scratch.ts";
import { DEFAULT_SMOOTHING_MS, ParamSmoother, SMOOTHER_STATE_SIZE } from "./smoother.ts";
import type { Frames, Hz, Milliseconds } from "./units.ts";

/** Centre delay of the sweep in ms. */
export const CHORUS_BASE_MS: Milliseconds = 10;
/** Sweep half-width in ms at depth 1: the delay moves within base ± this. */
export const CHORUS_MAX_DEPTH_MS: Milliseconds = 5;
/** Lowest LFO rate in Hz. */
export const CHORUS_MIN_RATE: Hz = 0.01;
/** Highest LFO rate in Hz. */
export const CHORUS_MAX_RATE: Hz = 10;

/**
 * Line values a snapshot may hold: {@linkcode Chorus.loadState} zeroes
 * anything beyond (or non-finite). The lines hold the input, so 80 dB over
 * full scale is far beyond anything real.
 */
export const CHORUS_STATE_LIMIT = 1e4;

/** Snapshot slots before the lines: write position, LFO phase, 3 smoothers. */
const OWN_STATE = 2 + 3 * SMOOTHER_STATE_SIZE;

/** Frames of each chorus line at `sampleRate` Hz: base + depth, plus 4. */
function chorusLineFrames(sampleRate: Hz): Frames {
  return Math.ceil(((CHORUS_BASE_MS + CHORUS_MAX_DEPTH_MS) * sampleRate) / 1000) + 4;
}

/**
 * Float64 slots of a {@linkcode Chorus} snapshot at `sampleRate` Hz
 * ({@linkcode Chorus.stateSize}): 8 for the write position, LFO phase and
 * smoothers plus both lines of ceil(15 ms·rate) + 4 frames (1456 at 48 kHz).
 *
 * @throws {RangeError} if the rate is out of range.
 *
 * @example
 * ```ts
 * import { chorusStateSize } from "./chorus.ts";
 * chorusStateSize(48000); // 1456
 * ```
 */
export function chorusStateSize(sampleRate: Hz): number {
  checkSampleRate(sampleRate);
  return OWN_STATE + 2 * chorusLineFrames(sampleRate);
}

/**
 * Delay in ms at `depth` (0..1, clamped) for an LFO value `lfo` in [-1, 1]:
 * {@linkcode CHORUS_BASE_MS} + depth·{@linkcode CHORUS_MAX_DEPTH_MS}·lfo. The
 * left channel uses lfo = sin(2π·phase), the right cos(2π·phase), with the
 * phase in cycles advancing by rate / sampleRate per frame from 0.
 *
 * @example
 * ```ts
 * import { chorusDelayMs } from "./chorus.ts";
 * chorusDelayMs(0.5, 1); // 12.5
 * ```
 */
export function chorusDelayMs(depth: number, lfo: number): Milliseconds {
  const d = depth < 0 ? 0 : depth > 1 ? 1 : depth;
  return CHORUS_BASE_MS + d * CHORUS_MAX_DEPTH_MS * lfo;
}

/** Options of {@linkcode Chorus}. */
export interface ChorusOptions {
  /** Starting LFO rate in Hz; default 0.8. */
  readonly rateHz?: Hz;
  /** Starting depth 0..1; default 0.5. */
  readonly depth?: number;
  /** Starting wet/dry mix, 0 (dry) .. 1 (wet only); default 0.5. */
  readonly mix?: number;
  /** Smoothing time constant of rate, depth and mix in ms; default 5. */
  readonly smoothingMs?: Milliseconds;
}

/**
 * Stereo chorus over interleaved stereo blocks, processed in place:
 * out = dry + mix·(wet − dry), wet being the input delayed by
 * {@linkcode chorusDelayMs}. Rate (clamped to [{@linkcode CHORUS_MIN_RATE},
 * {@linkcode CHORUS_MAX_RATE}] Hz), depth and mix (both clamped to 0..1) are
 * smoothed. The lines, of base + depth + 4 frames, are allocated by the
 * constructor. If a non-finite value appears (from the input), the block
 * range is zeroed and the lines cleared.
 *
 * @example
 * ```ts
 * import { Chorus } from "./chorus.ts";
 * const chorus = new Chorus(48000, { rateHz: 0.5, depth: 0.7, mix: 0.5 });
 * const block = new Float32Array(2 * 128); // L,R,L,R…
 * chorus.process(block, 0, 128);
 * ```
 */
export class Chorus {
  /** Sample rate in Hz. */
  readonly sampleRate: Hz = 0;
  /** Float64 slots needed by {@linkcode saveState}: {@linkcode chorusStateSize} of the rate. */
  readonly stateSize: number = 0;
  readonly #lineL: Float32Array;
  readonly #lineR: Float32Array;
  readonly #rate: ParamSmoother;
  readonly #depth: ParamSmoother;
  readonly #mix: ParamSmoother;
  readonly #invRate: number = 0;
  readonly #framesPerMs: number = 0;
  #write = 0;
  /** LFO phase in cycles, [0, 1). */
  #phase = 0;
  readonly #rates = new Float64Array(SCRATCH_FRAMES);
  readonly #depths = new Float64Array(SCRATCH_FRAMES);
  readonly #mixes = new Float64Array(SCRATCH_FRAMES);

  /**
   * A chorus with silent lines, allocated here, LFO at phase 0, parameters settled.
   *
   * @param sampleRate sample rate in Hz.
   * @param options starting parameters and smoothing time.
   * @throws {RangeError} for an out-of-range rate or a non-finite option.
   */
  constructor(sampleRate: Hz, options: ChorusOptions = {}) {
    checkSampleRate(sampleRate);
    this.sampleRate = sampleRate;
    this.#invRate = 1 / sampleRate;
    this.#framesPerMs = sampleRate / 1000;
    const len = chorusLineFrames(sampleRate);
    this.#lineL = new Float32Array(len);
    this.#lineR = new Float32Array(len);
    this.stateSize = OWN_STATE + 2 * len;
    const timeMs = options.smoothingMs ?? DEFAULT_SMOOTHING_MS;
    this.#rate = new ParamSmoother(sampleRate, { timeMs, initial: CHORUS_MIN_RATE });
    this.#depth = new ParamSmoother(sampleRate, { timeMs });
    this.#mix = new ParamSmoother(sampleRate, { timeMs });
    this.setRate(options.rateHz ?? 0.8);
    this.setDepth(options.depth ?? 0.5);
    this.setMix(options.mix ?? 0.5);
    this.reset();
  }

  /** Current (smoothed) LFO rate in Hz. */
  get rate(): Hz {
    return this.#rate.value;
  }

  /** Current (smoothed) depth, 0..1. */
  get depth(): number {
    return this.#depth.value;
  }

  /** Current (smoothed) mix, 0..1. */
  get mix(): number {
    return this.#mix.value;
  }

  /** LFO phase in cycles, [0, 1). */
  get phase(): number {
    return this.#phase;
  }

  /**
   * True while the mix rests at exactly 0 (its target is 0 and it has
   * settled there): {@linkcode process} would then return its input
   * unchanged, so an owner may skip the chorus altogether (a bypass that
   * cannot click, the mix having glided down first). A boolean, so the
   * render loop can ask without boxing a double.
   */
  get isDry(): boolean {
    return this.#mix.target === 0 && this.#mix.isSettled;
  }

  /**
   * Glide the LFO rate to `hz`, clamped to [{@linkcode CHORUS_MIN_RATE},
   * {@linkcode CHORUS_MAX_RATE}]. Control side.
   * @throws {RangeError} if `hz` is not finite.
   */
  setRate(hz: Hz): void {
    checkFinite("chorus rate", hz);
    const r = hz < CHORUS_MIN_RATE ? CHORUS_MIN_RATE : hz > CHORUS_MAX_RATE ? CHORUS_MAX_RATE : hz;
    this.#rate.setTarget(r);
  }

  /**
   * Glide the depth to `depth`, clamped to 0..1. Control side.
   * @throws {RangeError} if `depth` is not finite.
   */
  setDepth(depth: number): void {
    checkFinite("depth", depth);
    this.#depth.setTarget(depth < 0 ? 0 : depth > 1 ? 1 : depth);
  }

  /**
   * Glide the mix to `mix`, clamped to 0 (dry) .. 1 (wet only). Control side.
   * @throws {RangeError} if `mix` is not finite.
   */
  setMix(mix: number): void {
    checkFinite("mix", mix);
    this.#mix.setTarget(mix < 0 ? 0 : mix > 1 ? 1 : mix);
  }

  /** Clear the lines, LFO phase to 0, settle every smoother. Control side. */
  reset(): void {
    this.#lineL.fill(0);
    this.#lineR.fill(0);
    this.#write = 0;
    this.#phase = 0;
    this.#rate.reset(this.#rate.target);
    this.#depth.reset(this.#depth.target);
    this.#mix.reset(this.#mix.target);
  }

  /**
   * Write the complete state — write position, LFO phase, smoothers and both
   * lines — to `dst` at `offset` ({@linkcode stateSize} slots); returns the
   * offset after it. A chorus of the same rate loaded from it continues
   * bit-identically. Control side.
   * @throws {RangeError} if `dst` is too short.
   */
  saveState(dst: Float64Array, offset: number): number {
    checkStateRange(dst, offset, this.stateSize);
    dst[offset] = this.#write;
    dst[offset + 1] = this.#phase;
    let o = this.#rate.saveState(dst, offset + 2);
    o = this.#depth.saveState(dst, o);
    o = this.#mix.saveState(dst, o);
    dst.set(this.#lineL, o);
    dst.set(this.#lineR, o + this.#lineL.length);
    return offset + this.stateSize;
  }

  /**
   * Read the state written by {@linkcode saveState} of a chorus of the same
   * rate; returns the offset after it. Values a valid snapshot cannot hold
   * are repaired: a position outside the line or a phase outside [0, 1) to
   * 0, smoothers clamped to their ranges, line values that are non-finite or
   * beyond ±{@linkcode CHORUS_STATE_LIMIT} to 0. Control side.
   * @throws {RangeError} if `src` is too short.
   */
  loadState(src: Float64Array, offset: number): number {
    checkStateRange(src, offset, this.stateSize);
    const len = this.#lineL.length;
    const w = src[offset] as number;
    this.#write = Number.isInteger(w) && w >= 0 && w < len ? w : 0;
    const p = src[offset + 1] as number;
    this.#phase = p >= 0 && p < 1 ? p : 0;
    let o = loadSmootherClamped(this.#rate, src, offset + 2, CHORUS_MIN_RATE, CHORUS_MAX_RATE);
    o = loadSmootherClamped(this.#depth, src, o, 0, 1);
    o = loadSmootherClamped(this.#mix, src, o, 0, 1);
    loadDelayLine(this.#lineL, src, o, CHORUS_STATE_LIMIT);
    loadDelayLine(this.#lineR, src, o + len, CHORUS_STATE_LIMIT);
    return offset + this.stateSize;
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
    const lineL = this.#lineL;
    const lineR = this.#lineR;
    const len = lineL.length;
    const rates = this.#rates;
    const depths = this.#depths;
    const mixes = this.#mixes;
    const invRate = this.#invRate;
    const baseFrames = CHORUS_BASE_MS * this.#framesPerMs;
    const sweepFrames = CHORUS_MAX_DEPTH_MS * this.#framesPerMs;
    const twoPi = 2 * Math.PI;
    let w = this.#write;
    let p = this.#phase;
    let bad = 0;
    for (let c = s; c < e; c += SCRATCH_FRAMES) {
      const n = e - c < SCRATCH_FRAMES ? e - c : SCRATCH_FRAMES;
      this.#rate.fill(rates, 0, n);
      this.#depth.fill(depths, 0, n);
      this.#mix.fill(mixes, 0, n);
      for (let i = 0; i < n; i++) {
        const o = 2 * (c + i);
        const inL = buf[o] as number;
        const inR = buf[o + 1] as number;
        lineL[w] = inL;
        lineR[w] = inR;
        const sweep = (depths[i] as number) * sweepFrames;
        const m = mixes[i] as number;
        // Left: delay base + sweep·sin; read position w - delay, Catmull-Rom (see module doc).
        let pos = w - (baseFrames + sweep * Math.sin(twoPi * p));
        if (pos < 0) pos += len;
        let k = pos | 0;
        let f = pos - k;
        let k0 = k === 0 ? len - 1 : k - 1;
        let k2 = k + 1 === len ? 0 : k + 1;
        let k3 = k2 + 1 === len ? 0 : k2 + 1;
        let y0 = lineL[k0] as number, y1 = lineL[k] as number;
        let y2 = lineL[k2] as number, y3 = lineL[k3] as number;
        const wetL = y1 +
          0.5 * f * (y2 - y0 + f * (2 * y0 - 5 * y1 + 4 * y2 - y3 + f * (3 * (y1 - y2) + y3 - y0)));
        // Right: the same with cos.
        pos = w - (baseFrames + sweep * Math.cos(twoPi * p));
        if (pos < 0) pos += len;
        k = pos | 0;
        f = pos - k;
        k0 = k === 0 ? len - 1 : k - 1;
        k2 = k + 1 === len ? 0 : k + 1;
        k3 = k2 + 1 === len ? 0 : k2 + 1;
        y0 = lineR[k0] as number, y1 = lineR[k] as number;
        y2 = lineR[k2] as number, y3 = lineR[k3] as number;
        const wetR = y1 +
          0.5 * f * (y2 - y0 + f * (2 * y0 - 5 * y1 + 4 * y2 - y3 + f * (3 * (y1 - y2) + y3 - y0)));
        w = w + 1 === len ? 0 : w + 1;
        p += (rates[i] as number) * invRate;
        if (p >= 1) p -= 1;
        const yL = inL + m * (wetL - inL);
        const yR = inR + m * (wetR - inR);
        bad += yL - yL + (yR - yR);
        buf[o] = yL;
        buf[o + 1] = yR;
      }
    }
    this.#write = w;
    this.#phase = p;
    if (bad !== 0) {
      if (e > s) buf.fill(0, 2 * s, 2 * e);
      this.reset();
    }
  }
}
