/**
 * Unison: up to {@linkcode UNISON_MAX_VOICES} band-limited
 * {@linkcode Oscillator}s detuned evenly across a spread in cents and panned
 * evenly across the stereo field, with seeded random start phases so that two
 * instances (hot-standby slots) render identically.
 *
 * Setters follow the oscillator's rule: a finite value is clamped, NaN or
 * ±Infinity is ignored (the setter returns false).
 *
 * @module
 */

import { checkFinite, checkSampleRate } from "./_checks.ts";
import { SCRATCH_FRAMES } from "./_scratch.ts";
import {
  DETUNE_MAX_CENTS,
  Oscillator,
  OSCILLATOR_STATE_SIZE,
  type OscillatorOptions,
} from "./oscillator.ts";
import { DEFAULT_SMOOTHING_MS, ParamSmoother, SMOOTHER_STATE_SIZE } from "./smoother.ts";
import type { Frames, Hz } from "./units.ts";

/** Most voices of a {@linkcode UnisonOscillator}. */
export const UNISON_MAX_VOICES = 8;
/** Widest detune spread in cents (lowest to highest voice). */
export const UNISON_MAX_SPREAD_CENTS = 2400;

/** Header slots of a unison snapshot: voices, detune, spread, gain. */
const HEADER_SIZE = 4;

/** Number of float64 slots used by {@linkcode UnisonOscillator.saveState}. */
export const UNISON_STATE_SIZE = HEADER_SIZE + SMOOTHER_STATE_SIZE + 2 * UNISON_MAX_VOICES +
  UNISON_MAX_VOICES * OSCILLATOR_STATE_SIZE;

/**
 * Detune offset in cents of voice `index` of `voices`: spread evenly over
 * [-spread/2, +spread/2], lowest first; 0 for a single voice.
 *
 * @example
 * ```ts
 * import { unisonDetuneOffset } from "./unison.ts";
 * unisonDetuneOffset(0, 3, 20); // -10
 * unisonDetuneOffset(2, 3, 20); // 10
 * ```
 */
export function unisonDetuneOffset(index: number, voices: number, spreadCents: number): number {
  return voices > 1 ? spreadCents * (index / (voices - 1) - 0.5) : 0;
}

/**
 * Pan position, -1 (left) .. 1 (right), of voice `index` of `voices` at
 * stereo spread `stereo` (0..1): evenly from -stereo to +stereo, lowest
 * voice left; 0 for a single voice (voices beyond the count, fading out, sit
 * at +stereo). Gains are equal-power: left = cos((pan + 1)·π/4), right =
 * sin((pan + 1)·π/4), computed as cos(π/2 - (pan + 1)·π/4) so that the
 * centre is exactly equal in both.
 */
export function unisonPan(index: number, voices: number, stereo: number): number {
  return voices > 1 ? stereo * Math.min((2 * index) / (voices - 1) - 1, 1) : 0;
}

/** Options of {@linkcode UnisonOscillator}: the voices' oscillator options plus these. */
export interface UnisonOscillatorOptions extends Omit<OscillatorOptions, "phase"> {
  /** Number of sounding voices, 1..{@linkcode UNISON_MAX_VOICES}; default 1. */
  readonly voices?: number;
  /** Detune spread in cents, lowest to highest voice; default 20. */
  readonly spreadCents?: number;
  /** Stereo spread, 0 (mono) .. 1 (outer voices hard left and right); default 1. */
  readonly stereoSpread?: number;
  /** Seed of the voices' random start phases; default 1. */
  readonly seed?: number;
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** A well-mixed 32-bit hash (murmur3 finaliser) as a number in [0, 1). */
function hashUnit(seed: number, i: number): number {
  let h = (seed ^ Math.imul(i + 1, 0x9e3779b9)) | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/**
 * Up to eight detuned, panned {@linkcode Oscillator} voices summed to stereo.
 * Each sounding voice has gain `gain / √voices`; voices that stop sounding
 * fade out over the smoothing time, and pan gains move linearly over each
 * {@linkcode SCRATCH_FRAMES} chunk, so no change clicks. Hard sync is not
 * offered here (use {@linkcode Oscillator.processSynced} per voice).
 *
 * Setters and snapshots: control side. `process`: render loop; allocates
 * nothing, never throws.
 *
 * @example
 * ```ts
 * import { UnisonOscillator } from "./unison.ts";
 * const supersaw = new UnisonOscillator(48000, { voices: 7, spreadCents: 30, frequency: 220 });
 * const left = new Float64Array(128);
 * const right = new Float64Array(128);
 * supersaw.process(left, right, 0, 128);
 * ```
 */
export class UnisonOscillator {
  /** Sample rate in Hz. */
  readonly sampleRate: Hz = 0;
  /** Float64 slots needed by {@linkcode saveState} ({@linkcode UNISON_STATE_SIZE}). */
  readonly stateSize: number = UNISON_STATE_SIZE;
  readonly #voices: readonly Oscillator[];
  readonly #stereo: ParamSmoother;
  #count = 1;
  #detune = 0;
  #spread = 0;
  #gain = 1;
  readonly #left = new Float64Array(UNISON_MAX_VOICES);
  readonly #right = new Float64Array(UNISON_MAX_VOICES);
  readonly #voice = new Float64Array(SCRATCH_FRAMES);
  readonly #stereos = new Float64Array(SCRATCH_FRAMES);

  /**
   * @param sampleRate sample rate in Hz.
   * @param options voice count, spreads, seed and the voices' oscillator options.
   * @throws {RangeError} for an out-of-range rate, a non-finite option or an unknown waveform.
   */
  constructor(sampleRate: Hz, options: UnisonOscillatorOptions = {}) {
    checkSampleRate(sampleRate);
    this.sampleRate = sampleRate;
    const voices = options.voices ?? 1;
    const spread = options.spreadCents ?? 20;
    const stereo = options.stereoSpread ?? 1;
    const seed = options.seed ?? 1;
    const detune = options.detuneCents ?? 0;
    const gain = options.gain ?? 1;
    checkFinite("voices", voices);
    checkFinite("spread", spread);
    checkFinite("stereo spread", stereo);
    checkFinite("seed", seed);
    checkFinite("detune", detune);
    checkFinite("gain", gain);
    this.#count = clamp(Math.round(voices), 1, UNISON_MAX_VOICES);
    this.#spread = clamp(spread, 0, UNISON_MAX_SPREAD_CENTS);
    this.#detune = clamp(detune, -DETUNE_MAX_CENTS, DETUNE_MAX_CENTS);
    this.#gain = clamp(gain, 0, 1);
    const timeMs = options.smoothingMs ?? DEFAULT_SMOOTHING_MS;
    const s = clamp(stereo, 0, 1);
    this.#stereo = new ParamSmoother(sampleRate, { timeMs, initial: s });
    const list: Oscillator[] = [];
    for (let i = 0; i < UNISON_MAX_VOICES; i++) {
      const on = i < this.#count;
      list.push(
        new Oscillator(sampleRate, {
          ...options,
          detuneCents: this.#voiceDetune(i),
          gain: on ? this.#voiceGain() : 0,
          phase: hashUnit(seed | 0, i),
        }),
      );
      const angle = (unisonPan(i, this.#count, s) + 1) * (Math.PI / 4);
      this.#left[i] = Math.cos(angle);
      this.#right[i] = Math.cos(Math.PI / 2 - angle);
    }
    this.#voices = list;
  }

  /** Number of sounding voices. */
  get voices(): number {
    return this.#count;
  }

  /** Detune spread in cents (target). */
  get spreadCents(): number {
    return this.#spread;
  }

  /** Current (smoothed) stereo spread, 0..1. */
  get stereoSpread(): number {
    return this.#stereo.value;
  }

  /** Voice `index`, for reading its state; change it only through this object. */
  voice(index: number): Oscillator | undefined {
    return this.#voices[index];
  }

  /**
   * Sound `voices` voices (rounded, clamped to 1..8); others fade out.
   * @returns false for NaN or ±Infinity.
   */
  setVoices(voices: number): boolean {
    if (!Number.isFinite(voices)) return false;
    this.#count = clamp(Math.round(voices), 1, UNISON_MAX_VOICES);
    this.#retune();
    return true;
  }

  /**
   * Glide to a detune spread of `cents`, clamped to 0..{@linkcode UNISON_MAX_SPREAD_CENTS}.
   * @returns false for NaN or ±Infinity.
   */
  setSpread(cents: number): boolean {
    if (!Number.isFinite(cents)) return false;
    this.#spread = clamp(cents, 0, UNISON_MAX_SPREAD_CENTS);
    this.#retune();
    return true;
  }

  /**
   * Glide to stereo spread `stereo`, clamped to 0..1.
   * @returns false for NaN or ±Infinity.
   */
  setStereoSpread(stereo: number): boolean {
    if (!Number.isFinite(stereo)) return false;
    this.#stereo.setTarget(clamp(stereo, 0, 1));
    return true;
  }

  /**
   * Glide every voice's common detune to `cents`, clamped.
   * @returns false for NaN or ±Infinity.
   */
  setDetune(cents: number): boolean {
    if (!Number.isFinite(cents)) return false;
    this.#detune = clamp(cents, -DETUNE_MAX_CENTS, DETUNE_MAX_CENTS);
    this.#retune();
    return true;
  }

  /**
   * Glide to total gain `gain`, clamped to 0..1.
   * @returns false for NaN or ±Infinity.
   */
  setGain(gain: number): boolean {
    if (!Number.isFinite(gain)) return false;
    this.#gain = clamp(gain, 0, 1);
    this.#retune();
    return true;
  }

  /** Set every voice's waveform, see {@linkcode Oscillator.setWaveform}. */
  setWaveform(waveform: number): boolean {
    const voices = this.#voices;
    let ok = true;
    for (let i = 0; i < voices.length; i++) {
      ok = (voices[i] as Oscillator).setWaveform(waveform) && ok;
    }
    return ok;
  }

  /** Set every voice's frequency in Hz, see {@linkcode Oscillator.setFrequency}. */
  setFrequency(hz: Hz): boolean {
    const voices = this.#voices;
    let ok = true;
    for (let i = 0; i < voices.length; i++) ok = (voices[i] as Oscillator).setFrequency(hz) && ok;
    return ok;
  }

  /** Set every voice's pulse width, see {@linkcode Oscillator.setPulseWidth}. */
  setPulseWidth(width: number): boolean {
    const voices = this.#voices;
    let ok = true;
    for (let i = 0; i < voices.length; i++) {
      ok = (voices[i] as Oscillator).setPulseWidth(width) && ok;
    }
    return ok;
  }

  /** Set every voice's sub-oscillator level, see {@linkcode Oscillator.setSubLevel}. */
  setSubLevel(level: number): boolean {
    const voices = this.#voices;
    let ok = true;
    for (let i = 0; i < voices.length; i++) ok = (voices[i] as Oscillator).setSubLevel(level) && ok;
    return ok;
  }

  /** Set every voice's FM ratio, see {@linkcode Oscillator.setFmRatio}. */
  setFmRatio(ratio: number): boolean {
    const voices = this.#voices;
    let ok = true;
    for (let i = 0; i < voices.length; i++) ok = (voices[i] as Oscillator).setFmRatio(ratio) && ok;
    return ok;
  }

  /** Set every voice's FM index, see {@linkcode Oscillator.setFmIndex}. */
  setFmIndex(index: number): boolean {
    const voices = this.#voices;
    let ok = true;
    for (let i = 0; i < voices.length; i++) ok = (voices[i] as Oscillator).setFmIndex(index) && ok;
    return ok;
  }

  /**
   * Write stereo samples to `left[start..end)` and `right[start..end)`
   * (overwriting). The range is clamped to the shorter buffer. Render loop;
   * allocates nothing.
   */
  process(left: Float64Array, right: Float64Array, start: Frames, end: Frames): void {
    const frames = left.length < right.length ? left.length : right.length;
    const s = start > 0 ? (start < frames ? start | 0 : frames) : 0;
    const e = end > 0 ? (end < frames ? end | 0 : frames) : 0;
    for (let c = s; c < e; c += SCRATCH_FRAMES) {
      const n = e - c < SCRATCH_FRAMES ? e - c : SCRATCH_FRAMES;
      left.fill(0, c, c + n);
      right.fill(0, c, c + n);
      this.#stereo.fill(this.#stereos, 0, n);
      for (let v = 0; v < UNISON_MAX_VOICES; v++) this.#mixVoice(v, left, right, c, n);
    }
  }

  /** Render voice `v` for frames c..c+n and add it to both channels, ramping its pan gains. */
  #mixVoice(v: number, left: Float64Array, right: Float64Array, c: number, n: number): void {
    const osc = this.#voices[v] as Oscillator;
    if (osc.gain === 0 && osc.gainTarget === 0) return;
    const y = this.#voice;
    osc.process(y, 0, n);
    const count = this.#count;
    const stereo = this.#stereos[n - 1] as number;
    // unisonPan, written out (see _scratch.ts); voices fading out (v >= count) stay at the edge.
    const pan = count > 1 ? stereo * Math.min((2 * v) / (count - 1) - 1, 1) : 0;
    const angle = (pan + 1) * (Math.PI / 4);
    const gl = this.#left[v] as number;
    const gr = this.#right[v] as number;
    const targetL = Math.cos(angle);
    const targetR = Math.cos(Math.PI / 2 - angle);
    const stepL = (targetL - gl) / n;
    const stepR = (targetR - gr) / n;
    for (let i = 0; i < n; i++) {
      const x = y[i] as number;
      left[c + i] = (left[c + i] as number) + x * (gl + stepL * (i + 1));
      right[c + i] = (right[c + i] as number) + x * (gr + stepR * (i + 1));
    }
    this.#left[v] = targetL;
    this.#right[v] = targetR;
  }

  /** Write the state to `dst` at `offset`; returns the offset after it. */
  saveState(dst: Float64Array, offset: number): number {
    dst[offset] = this.#count;
    dst[offset + 1] = this.#detune;
    dst[offset + 2] = this.#spread;
    dst[offset + 3] = this.#gain;
    let o = this.#stereo.saveState(dst, offset + HEADER_SIZE);
    dst.set(this.#left, o);
    dst.set(this.#right, o + UNISON_MAX_VOICES);
    o += 2 * UNISON_MAX_VOICES;
    for (const v of this.#voices) o = v.saveState(dst, o);
    return o;
  }

  /**
   * Read the state written by {@linkcode saveState}; returns the offset after
   * it. Impossible values (NaN, ±Infinity, out of range) are repaired.
   */
  loadState(src: Float64Array, offset: number): number {
    const at = (i: number): number => src[offset + i] ?? NaN;
    const count = at(0);
    this.#count = Number.isFinite(count) ? clamp(Math.round(count), 1, UNISON_MAX_VOICES) : 1;
    const finite = (x: number, lo: number, hi: number, fallback: number): number =>
      Number.isFinite(x) ? clamp(x, lo, hi) : fallback;
    this.#detune = finite(at(1), -DETUNE_MAX_CENTS, DETUNE_MAX_CENTS, 0);
    this.#spread = finite(at(2), 0, UNISON_MAX_SPREAD_CENTS, 0);
    this.#gain = finite(at(3), 0, 1, 0);
    let o = this.#stereo.loadState(src, offset + HEADER_SIZE);
    const stereo = finite(this.#stereo.value, 0, 1, 0);
    const target = finite(this.#stereo.target, 0, 1, stereo);
    this.#stereo.reset(stereo);
    this.#stereo.setTarget(target);
    for (let i = 0; i < UNISON_MAX_VOICES; i++) {
      this.#left[i] = finite(src[o + i] ?? NaN, 0, 1, 0);
      this.#right[i] = finite(src[o + UNISON_MAX_VOICES + i] ?? NaN, 0, 1, 0);
    }
    o += 2 * UNISON_MAX_VOICES;
    for (const v of this.#voices) o = v.loadState(src, o);
    return o;
  }

  #voiceDetune(i: number): number {
    return this.#detune + unisonDetuneOffset(i, this.#count, this.#spread);
  }

  #voiceGain(): number {
    return this.#gain / Math.sqrt(this.#count);
  }

  /** Send detune and gain targets to every voice after a change. */
  #retune(): void {
    for (let i = 0; i < UNISON_MAX_VOICES; i++) {
      const osc = this.#voices[i] as Oscillator;
      osc.setDetune(this.#voiceDetune(i));
      osc.setGain(i < this.#count ? this.#voiceGain() : 0);
    }
  }
}
