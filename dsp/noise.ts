/**
 * Seeded noise: white (xorshift32 in integer arithmetic, so every platform
 * and both hot-standby slots produce the same bits), pink (-3 dB/octave, Paul
 * Kellet's refined filter) and brown (-6 dB/octave, a leaky integrator).
 *
 * Setters never throw: a finite value is clamped, NaN or ±Infinity is
 * ignored (the setter returns false).
 *
 * @module
 */

import { checkFinite, checkSampleRate } from "./_checks.ts";
import { SCRATCH_FRAMES } from "./_scratch.ts";
import { DEFAULT_SMOOTHING_MS, ParamSmoother, SMOOTHER_STATE_SIZE } from "./smoother.ts";
import type { Frames, Hz, Milliseconds } from "./units.ts";

/** Noise colours of {@linkcode Noise}: values for `setColor`. */
export const NoiseColor = {
  /** Flat spectrum, uniform in [-1, 1). */
  White: 0,
  /** -3 dB per octave (equal power per octave). */
  Pink: 1,
  /** -6 dB per octave above {@linkcode BROWN_CORNER_HZ}. */
  Brown: 2,
} as const;

/** A noise colour (a value of {@linkcode NoiseColor}). */
export type NoiseColorId = typeof NoiseColor[keyof typeof NoiseColor];

/** Number of noise colours; valid ids are 0 .. NOISE_COLOR_COUNT - 1. */
export const NOISE_COLOR_COUNT = 3;

/** RMS level of pink and brown noise (white, uniform in [-1, 1), has 1/√3 ≈ 0.577). */
export const COLORED_NOISE_RMS = 0.25;

/** Corner frequency in Hz of the brown-noise integrator's leak: flat below, -6 dB/octave above. */
export const BROWN_CORNER_HZ: Hz = 20;

/** Sample rate Kellet's pink-noise coefficients were designed for, in Hz. */
const PINK_DESIGN_RATE = 44100;
/** Kellet's poles (at 44.1 kHz) of the five low-pass sections, and their input gains. */
const PINK_POLES = [0.99886, 0.99332, 0.969, 0.8665, 0.55] as const;
const PINK_GAINS = [0.0555179, 0.0750759, 0.153852, 0.3104856, 0.5329522] as const;
/** The high-frequency section (pole, gain), the direct gain and the one-frame-delayed gain. */
const PINK_HF_POLE = -0.7616;
const PINK_HF_GAIN = -0.016898;
const PINK_DIRECT = 0.5362;
const PINK_DELAYED = 0.115926;
/** Variance of white noise uniform in [-1, 1). */
const WHITE_VARIANCE = 1 / 3;

/** Number of float64 slots used by {@linkcode Noise.saveState}. */
export const NOISE_STATE_SIZE = 2 + 7 + 1 + 4 * SMOOTHER_STATE_SIZE;

/**
 * One step of xorshift32 (Marsaglia, shifts 13, 17, 5) on a nonzero int32
 * state; returns the next state as an int32 (never 0).
 *
 * @example
 * ```ts
 * import { xorshift32 } from "./noise.ts";
 * xorshift32(1); // 270369
 * ```
 */
export function xorshift32(state: number): number {
  let x = state | 0;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  return x | 0;
}

/**
 * The nonzero int32 xorshift32 state for `seed`: the seed's low 32 bits
 * (`seed >>> 0`) through the murmur3 finaliser, 0 replaced by a constant.
 * Equal seeds give equal states; NaN and ±Infinity count as 0.
 */
export function noiseSeedState(seed: number): number {
  let h = seed >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h = (h ^ (h >>> 16)) | 0;
  return h === 0 ? 0x6d2b79f5 : h;
}

/** Coefficients of the pink-noise filter at one sample rate, see {@linkcode pinkNoiseFilter}. */
export interface PinkNoiseFilter {
  /** Poles of the five low-pass sections. */
  readonly poles: Float64Array;
  /** Input gains of the five low-pass sections. */
  readonly gains: Float64Array;
  /** Output scale giving {@linkcode COLORED_NOISE_RMS} for uniform white input. */
  readonly scale: number;
}

/**
 * Kellet's refined pink filter moved to `rate`: each low-pass section keeps
 * its corner frequency in Hz (pole p' = p^(44100/rate)) and its DC gain
 * (g' = g·(1 - p')/(1 - p)); the high-frequency section and the direct terms
 * stay as designed. `scale` comes from the filter's exact impulse-response
 * energy.
 *
 * @throws {RangeError} if the sample rate is out of range.
 */
export function pinkNoiseFilter(rate: Hz): PinkNoiseFilter {
  checkSampleRate(rate);
  const poles = new Float64Array(5);
  const gains = new Float64Array(5);
  for (let i = 0; i < 5; i++) {
    const p = PINK_POLES[i] as number;
    const moved = Math.pow(p, PINK_DESIGN_RATE / rate);
    poles[i] = moved;
    gains[i] = ((PINK_GAINS[i] as number) * (1 - moved)) / (1 - p);
  }
  // h[n] = Σ g_i p_i^n (six one-pole sections) + direct·δ[n] + delayed·δ[n-1].
  const p6 = [...poles, PINK_HF_POLE];
  const g6 = [...gains, PINK_HF_GAIN];
  let energy = PINK_DIRECT ** 2 + PINK_DELAYED ** 2;
  for (let i = 0; i < 6; i++) {
    const gi = g6[i] as number;
    const pi = p6[i] as number;
    energy += 2 * gi * (PINK_DIRECT + PINK_DELAYED * pi);
    for (let j = 0; j < 6; j++) energy += (gi * (g6[j] as number)) / (1 - pi * (p6[j] as number));
  }
  const scale = COLORED_NOISE_RMS / Math.sqrt(energy * WHITE_VARIANCE);
  return { poles, gains, scale };
}

/** Options of {@linkcode Noise}. */
export interface NoiseOptions {
  /** Starting colour; default {@linkcode NoiseColor.White}. */
  readonly color?: NoiseColorId;
  /** Seed of the PRNG (its low 32 bits are used); default 1. */
  readonly seed?: number;
  /** Starting linear gain, 0..1; default 1. */
  readonly gain?: number;
  /** Smoothing time constant of gain and colour cross-fades in ms; default 5. */
  readonly smoothingMs?: Milliseconds;
}

function isColor(color: number): color is NoiseColorId {
  return Number.isInteger(color) && color >= 0 && color < NOISE_COLOR_COUNT;
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/**
 * Seeded white, pink or brown noise with smoothed gain. All three are
 * computed from one white stream every frame, and a colour change
 * cross-fades over the smoothing time, so it never clicks. Two instances with
 * the same seed and calls produce bit-identical output.
 *
 * Setters and snapshots: control side. `process`: render loop; allocates
 * nothing, never throws.
 *
 * @example
 * ```ts
 * import { Noise, NoiseColor } from "./noise.ts";
 * const noise = new Noise(48000, { color: NoiseColor.Pink, seed: 42 });
 * const block = new Float64Array(128);
 * noise.process(block, 0, 128);
 * ```
 */
export class Noise {
  /** Sample rate in Hz. */
  readonly sampleRate: Hz = 0;
  /** Float64 slots needed by {@linkcode saveState} ({@linkcode NOISE_STATE_SIZE}). */
  readonly stateSize: number = NOISE_STATE_SIZE;
  readonly #pinkPoles: Float64Array;
  readonly #pinkGains: Float64Array;
  readonly #pinkScale: number = 0;
  readonly #brownPole: number = 0;
  readonly #brownScale: number = 0;
  /**
   * Largest magnitude each filter state (pink sections, delayed white, brown)
   * can reach from white input in [-1, 1): g / (1 - |p|). Snapshots are
   * clamped to it.
   */
  readonly #limits = new Float64Array(8);
  readonly #gain: ParamSmoother;
  /** Cross-fade weights of white, pink and brown. */
  readonly #mix: readonly ParamSmoother[];
  #color: number = NoiseColor.White;
  #state = 1;
  /** Pink filter: five low-pass sections, the HF section, the delayed white. */
  readonly #pink = new Float64Array(7);
  #brown = 0;
  readonly #gains = new Float64Array(SCRATCH_FRAMES);
  readonly #weights = [
    new Float64Array(SCRATCH_FRAMES),
    new Float64Array(SCRATCH_FRAMES),
    new Float64Array(SCRATCH_FRAMES),
  ] as const;
  readonly #one = new Float64Array(1);

  /**
   * @param sampleRate sample rate in Hz.
   * @param options colour, seed, gain and smoothing time.
   * @throws {RangeError} for an out-of-range rate, a non-finite option or an unknown colour.
   */
  constructor(sampleRate: Hz, options: NoiseOptions = {}) {
    checkSampleRate(sampleRate);
    this.sampleRate = sampleRate;
    const pink = pinkNoiseFilter(sampleRate);
    this.#pinkPoles = pink.poles;
    this.#pinkGains = pink.gains;
    this.#pinkScale = pink.scale;
    const leak = Math.exp((-2 * Math.PI * BROWN_CORNER_HZ) / sampleRate);
    this.#brownPole = leak;
    // y = leak·y + w has variance σ²/(1 - leak²).
    this.#brownScale = COLORED_NOISE_RMS * Math.sqrt((1 - leak * leak) / WHITE_VARIANCE);
    for (let i = 0; i < 5; i++) {
      this.#limits[i] = (pink.gains[i] as number) / (1 - (pink.poles[i] as number));
    }
    this.#limits[5] = Math.abs(PINK_HF_GAIN) / (1 - Math.abs(PINK_HF_POLE));
    this.#limits[6] = PINK_DELAYED;
    this.#limits[7] = 1 / (1 - leak);
    const color = options.color ?? NoiseColor.White;
    if (!isColor(color)) {
      throw new RangeError(
        `color must be an integer from 0 to ${NOISE_COLOR_COUNT - 1}, got ${color}`,
      );
    }
    const gain = options.gain ?? 1;
    checkFinite("gain", gain);
    const seed = options.seed ?? 1;
    checkFinite("seed", seed);
    const timeMs = options.smoothingMs ?? DEFAULT_SMOOTHING_MS;
    this.#gain = new ParamSmoother(sampleRate, { timeMs, initial: clamp(gain, 0, 1) });
    this.#mix = [0, 1, 2].map((c) =>
      new ParamSmoother(sampleRate, { timeMs, initial: c === color ? 1 : 0 })
    );
    this.#color = color;
    this.reseed(seed);
  }

  /** Current colour (the cross-fade target). */
  get color(): NoiseColorId {
    return this.#color as NoiseColorId;
  }

  /** Current (smoothed) linear gain. */
  get gain(): number {
    return this.#gain.value;
  }

  /**
   * Cross-fade to `color`. Control side.
   * @returns false (no change) for an unknown id.
   */
  setColor(color: number): boolean {
    if (!isColor(color)) return false;
    this.#color = color;
    for (let c = 0; c < NOISE_COLOR_COUNT; c++) {
      (this.#mix[c] as ParamSmoother).setTarget(c === color ? 1 : 0);
    }
    return true;
  }

  /**
   * Glide to linear gain `gain`, clamped to 0..1. Control side.
   * @returns false for NaN or ±Infinity.
   */
  setGain(gain: number): boolean {
    if (!Number.isFinite(gain)) return false;
    this.#gain.setTarget(clamp(gain, 0, 1));
    return true;
  }

  /**
   * Restart the PRNG from `seed` (see {@linkcode noiseSeedState}) and clear
   * the filters, so the output is what a new instance with this seed would
   * give. Control side.
   * @returns false (no change) for NaN or ±Infinity.
   */
  reseed(seed: number): boolean {
    if (!Number.isFinite(seed)) return false;
    this.#state = noiseSeedState(seed);
    this.#pink.fill(0);
    this.#brown = 0;
    return true;
  }

  /** Produce one sample (a one-frame {@linkcode process}). For tests and control rate. */
  next(): number {
    this.process(this.#one, 0, 1);
    return this.#one[0] as number;
  }

  /** Write samples to `out[start..end)`; the range is clamped to `out`. Render loop; allocates nothing. */
  process(out: Float64Array, start: Frames, end: Frames): void {
    const frames = out.length;
    const s = start > 0 ? (start < frames ? start | 0 : frames) : 0;
    const e = end > 0 ? (end < frames ? end | 0 : frames) : 0;
    for (let c = s; c < e; c += SCRATCH_FRAMES) {
      const n = e - c < SCRATCH_FRAMES ? e - c : SCRATCH_FRAMES;
      this.#gain.fill(this.#gains, 0, n);
      for (let k = 0; k < NOISE_COLOR_COUNT; k++) {
        (this.#mix[k] as ParamSmoother).fill(this.#weights[k] as Float64Array, 0, n);
      }
      this.#render(out, c, n);
    }
  }

  #render(out: Float64Array, o0: number, n: number): void {
    const gains = this.#gains;
    const ww = this.#weights[0];
    const wp = this.#weights[1];
    const wb = this.#weights[2];
    const pp = this.#pinkPoles;
    const pg = this.#pinkGains;
    const p0 = pp[0] as number, p1 = pp[1] as number, p2 = pp[2] as number;
    const p3 = pp[3] as number, p4 = pp[4] as number;
    const g0 = pg[0] as number, g1 = pg[1] as number, g2 = pg[2] as number;
    const g3 = pg[3] as number, g4 = pg[4] as number;
    const pinkScale = this.#pinkScale;
    const brownPole = this.#brownPole;
    const brownScale = this.#brownScale;
    const f = this.#pink;
    let b0 = f[0] as number, b1 = f[1] as number, b2 = f[2] as number;
    let b3 = f[3] as number, b4 = f[4] as number, b5 = f[5] as number;
    let b6 = f[6] as number;
    let brown = this.#brown;
    let x = this.#state;
    for (let i = 0; i < n; i++) {
      // xorshift32, written out (see _scratch.ts).
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      const white = x * 4.656612873077393e-10; // 2^-31: int32 to [-1, 1)
      b0 = p0 * b0 + g0 * white;
      b1 = p1 * b1 + g1 * white;
      b2 = p2 * b2 + g2 * white;
      b3 = p3 * b3 + g3 * white;
      b4 = p4 * b4 + g4 * white;
      b5 = -0.7616 * b5 - 0.016898 * white; // PINK_HF_POLE, PINK_HF_GAIN
      const pink = (b0 + b1 + b2 + b3 + b4 + b5 + b6 + 0.5362 * white) * pinkScale; // PINK_DIRECT
      b6 = 0.115926 * white; // PINK_DELAYED
      brown = brownPole * brown + white;
      out[o0 + i] = (gains[i] as number) *
        ((ww[i] as number) * white + (wp[i] as number) * pink +
          (wb[i] as number) * brown * brownScale);
    }
    f[0] = b0;
    f[1] = b1;
    f[2] = b2;
    f[3] = b3;
    f[4] = b4;
    f[5] = b5;
    f[6] = b6;
    this.#brown = brown;
    this.#state = x;
  }

  /** Write the state to `dst` at `offset`; returns the offset after it. */
  saveState(dst: Float64Array, offset: number): number {
    dst[offset] = this.#color;
    dst[offset + 1] = this.#state;
    dst.set(this.#pink, offset + 2);
    dst[offset + 9] = this.#brown;
    let o = this.#gain.saveState(dst, offset + 10);
    for (const m of this.#mix) o = m.saveState(dst, o);
    return o;
  }

  /**
   * Read the state written by {@linkcode saveState}; returns the offset after
   * it. Impossible values (NaN, ±Infinity, a zero PRNG state, out of range)
   * are repaired.
   */
  loadState(src: Float64Array, offset: number): number {
    const at = (i: number): number => src[offset + i] ?? NaN;
    const finite = (v: number, lo: number, hi: number, fallback: number): number =>
      Number.isFinite(v) ? clamp(v, lo, hi) : fallback;
    const color = at(0);
    if (isColor(color)) this.#color = color;
    const state = at(1);
    this.#state = Number.isInteger(state) && (state | 0) !== 0 ? state | 0 : noiseSeedState(1);
    const limit = (i: number): number => this.#limits[i] as number;
    for (let i = 0; i < 7; i++) this.#pink[i] = finite(at(2 + i), -limit(i), limit(i), 0);
    this.#brown = finite(at(9), -limit(7), limit(7), 0);
    let o = this.#gain.loadState(src, offset + 10);
    repair(this.#gain);
    for (const m of this.#mix) {
      o = m.loadState(src, o);
      repair(m);
    }
    return o;
  }
}

/** After loading a snapshot: a smoother's value and target back into [0, 1]. */
function repair(s: ParamSmoother): void {
  const v = s.value;
  const t = s.target;
  const target = Number.isFinite(t) ? clamp(t, 0, 1) : Number.isFinite(v) ? clamp(v, 0, 1) : 0;
  const value = Number.isFinite(v) ? clamp(v, 0, 1) : target;
  if (value !== v || target !== t) {
    s.reset(value);
    s.setTarget(target);
  }
}
