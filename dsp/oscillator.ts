/**
 * Band-limited oscillator for one voice: sine, saw, square, pulse (smoothed
 * width) and triangle, with detune, a square sub-oscillator one octave down,
 * hard sync to a master oscillator and 2-operator phase-modulation FM.
 *
 * Anti-aliasing: the waveforms are computed naively and every discontinuity
 * (a step, "BLEP") or corner (a slope change, "BLAMP") gets a correction
 * residual added around it, placed at its exact sub-sample time. This is the
 * PolyBLEP / PolyBLAMP technique, but the residuals come from a
 * Kaiser-windowed sinc ({@linkcode BLEP_HALF_WIDTH} samples either side)
 * instead of the 2-sample polynomial: the polynomial leaves an alias of a
 * 5 kHz saw at 48 kHz only about 22 dB down (its 25 kHz harmonic folds to
 * 23 kHz), the windowed sinc keeps every alias of it more than 55 dB down.
 * The price is a fixed output latency of {@linkcode OSCILLATOR_LATENCY}
 * frames and 2·{@linkcode BLEP_HALF_WIDTH} table reads and multiply-adds per
 * discontinuity.
 *
 * Setters never throw and never let a value make the output non-finite: a
 * finite value is clamped to its documented range, NaN or ±Infinity is
 * ignored (the setter returns false). Constructors throw `RangeError` for
 * non-finite options, like the other modules of this folder.
 *
 * @module
 */

import { checkFinite, checkSampleRate } from "./_checks.ts";
import { SCRATCH_FRAMES } from "./_scratch.ts";
import { DEFAULT_SMOOTHING_MS, ParamSmoother, SMOOTHER_STATE_SIZE } from "./smoother.ts";
import type { Frames, Hz, Milliseconds } from "./units.ts";

/** Waveforms of {@linkcode Oscillator}: values for `setWaveform`. */
export const Waveform = {
  /** Sine, amplitude 1. */
  Sine: 0,
  /** Rising saw from -1 to 1 (harmonic n at 2/(πn)). */
  Saw: 1,
  /** Square ±1, 50 % duty (odd harmonics at 4/(πn)); ignores the pulse width. */
  Square: 2,
  /** Pulse ±1 with the smoothed pulse width, DC removed. */
  Pulse: 3,
  /** Triangle, amplitude 1 (odd harmonics at 8/(π²n²)). */
  Triangle: 4,
} as const;

/** A waveform (a value of {@linkcode Waveform}). */
export type WaveformId = typeof Waveform[keyof typeof Waveform];

/** Number of waveforms; valid ids are 0 .. WAVEFORM_COUNT - 1. */
export const WAVEFORM_COUNT = 5;

/** Half-width in frames of the band-limited step and ramp residuals. */
export const BLEP_HALF_WIDTH: Frames = 8;
/** Frames by which the oscillator output lags its phase (the residuals' look-ahead). */
export const OSCILLATOR_LATENCY: Frames = BLEP_HALF_WIDTH;
/** Largest detune in cents either way (four octaves). */
export const DETUNE_MAX_CENTS = 4800;
/** Narrowest pulse width (fraction of a period). */
export const PULSE_WIDTH_MIN = 0.01;
/** Widest pulse width (fraction of a period). */
export const PULSE_WIDTH_MAX = 0.99;
/** Largest FM ratio (modulator frequency over carrier frequency). */
export const FM_RATIO_MAX = 32;
/** Largest FM (phase-modulation) index in radians. */
export const FM_INDEX_MAX = 16;
/** Largest phase increment in cycles per frame: the frequency after detune is clamped to Nyquist. */
export const MAX_PHASE_INCREMENT = 0.5;
/** Value in a reset buffer for "no reset in this frame" (see {@linkcode Oscillator.processSynced}). */
export const NO_RESET: number = -1;

/** Residual table points per frame of residual (linear interpolation between them). */
const BLEP_PHASES = 128;
/** Table points per one-frame segment: the segments keep their own end points. */
const BLEP_STRIDE = BLEP_PHASES + 1;
/** Frames touched by one residual. */
const BLEP_TAPS = 2 * BLEP_HALF_WIDTH;
/** Cutoff of the windowed sinc as a fraction of the sample rate. */
const BLEP_CUTOFF = 0.44;
/** Kaiser window shape of the windowed sinc. */
const BLEP_KAISER_BETA = 4;
/** Integration steps per table point when building the tables. */
const BLEP_SUBSTEPS = 8;
/** Output ring: BLEP_TAPS frames (a power of two). */
const RING_MASK = BLEP_TAPS - 1;
/** Largest sub-frame event offset (keeps table indices in range). */
const EVENT_OFFSET_MAX = 1 - 1 / 65536;
/** Most events (steps and corners) one frame can produce. */
const MAX_EVENTS = 8;
/** Ring values loaded from a snapshot are clamped to ± this (real ones stay below about 5). */
const RING_LIMIT = 16;
/** Scratch buffers whose settled contents {@linkcode Oscillator} reuses across chunks. */
const FreshSlot = { Increments: 0, Offsets: 1, Width: 2, Sub: 3, Gain: 4 } as const;
const FRESH_SLOTS = 5;

/** Modified Bessel function of the first kind, order 0 (power series). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 60 && term > 1e-17 * sum; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
  }
  return sum;
}

/**
 * The step (BLEP) and ramp (BLAMP) residual tables: BLEP_TAPS segments of
 * BLEP_STRIDE points, segment k covering x in [k - Z, k - Z + 1] frames from
 * the event. Built once, at module load, by integrating the windowed sinc.
 */
function buildResidualTables(): [Float64Array, Float64Array] {
  const z = BLEP_HALF_WIDTH;
  const steps = BLEP_TAPS * BLEP_PHASES * BLEP_SUBSTEPS;
  const dx = (2 * z) / steps;
  const norm = besselI0(BLEP_KAISER_BETA);
  const kernel = (x: number): number => {
    const r = x / z;
    const w = besselI0(BLEP_KAISER_BETA * Math.sqrt(Math.max(0, 1 - r * r))) / norm;
    const s = x === 0 ? 2 * BLEP_CUTOFF : Math.sin(2 * Math.PI * BLEP_CUTOFF * x) / (Math.PI * x);
    return s * w;
  };
  // Running integrals on the fine grid: cum = ∫ kernel, ramp = ∫ cum (trapezoid).
  const cum = new Float64Array(steps + 1);
  const ramp = new Float64Array(steps + 1);
  let prev = kernel(-z);
  for (let i = 1; i <= steps; i++) {
    const h = kernel(-z + i * dx);
    cum[i] = (cum[i - 1] as number) + 0.5 * (prev + h) * dx;
    prev = h;
  }
  const area = cum[steps] as number;
  for (let i = 0; i <= steps; i++) cum[i] = (cum[i] as number) / area;
  for (let i = 1; i <= steps; i++) {
    ramp[i] = (ramp[i - 1] as number) + 0.5 * ((cum[i - 1] as number) + (cum[i] as number)) * dx;
  }
  // ∫ step residual over the whole support is 0 by symmetry; remove the rounding.
  const drift = (ramp[steps] as number) - z;
  const blep = new Float64Array(BLEP_TAPS * BLEP_STRIDE);
  const blamp = new Float64Array(BLEP_TAPS * BLEP_STRIDE);
  for (let k = 0; k < BLEP_TAPS; k++) {
    const unit = k >= z ? 1 : 0;
    for (let j = 0; j <= BLEP_PHASES; j++) {
      const g = (k * BLEP_PHASES + j) * BLEP_SUBSTEPS;
      const x = k - z + j / BLEP_PHASES;
      blep[k * BLEP_STRIDE + j] = (cum[g] as number) - unit;
      blamp[k * BLEP_STRIDE + j] = (ramp[g] as number) - (drift * g) / steps - (x > 0 ? x : 0);
    }
  }
  return [blep, blamp];
}

const [BLEP_TABLE, BLAMP_TABLE] = buildResidualTables();

/** Points per sine period in the oscillator's own table (as in sine.ts, plus a guard point). */
const SINE_SIZE = 4096;
const SINE: Float64Array = (() => {
  const t = new Float64Array(SINE_SIZE + 1);
  for (let i = 0; i < SINE_SIZE; i++) t[i] = Math.sin((2 * Math.PI * i) / SINE_SIZE);
  t[SINE_SIZE] = 0;
  return t;
})();

/** Read a residual table at `x` frames from the event; 0 outside (-Z, Z). */
function residualAt(table: Float64Array, x: number): number {
  if (!(x > -BLEP_HALF_WIDTH && x < BLEP_HALF_WIDTH)) return 0;
  const k = Math.floor(x) + BLEP_HALF_WIDTH;
  const pos = (x - Math.floor(x)) * BLEP_PHASES;
  const i = pos | 0;
  const a = table[k * BLEP_STRIDE + i] as number;
  return a + (pos - i) * ((table[k * BLEP_STRIDE + i + 1] as number) - a);
}

/**
 * Band-limited step residual at `x` frames from a unit step at 0: the
 * band-limited step minus the naive one (so it jumps by -1 at 0, right-
 * continuous), and 0 beyond ±{@linkcode BLEP_HALF_WIDTH}.
 *
 * @example
 * ```ts
 * import { blepResidual } from "./oscillator.ts";
 * blepResidual(-1e-9); // ≈ 0.5
 * blepResidual(0); // ≈ -0.5
 * ```
 */
export function blepResidual(x: Frames): number {
  return residualAt(BLEP_TABLE, x);
}

/**
 * Band-limited ramp residual at `x` frames from a unit slope change at 0 (the
 * integral of {@linkcode blepResidual}): continuous, 0 beyond
 * ±{@linkcode BLEP_HALF_WIDTH}.
 */
export function blampResidual(x: Frames): number {
  return residualAt(BLAMP_TABLE, x);
}

/**
 * Frequency ratio of a detune in cents: 2^(cents / 1200).
 *
 * @example
 * ```ts
 * import { centsToRatio } from "./oscillator.ts";
 * centsToRatio(1200); // 2
 * ```
 */
export function centsToRatio(cents: number): number {
  return Math.exp((cents * Math.LN2) / 1200);
}

/** Number of float64 slots used by {@linkcode Oscillator.saveState}. */
export const OSCILLATOR_STATE_SIZE: number = 8 + BLEP_TAPS + 7 * SMOOTHER_STATE_SIZE;

/** Options of {@linkcode Oscillator}; out-of-range values are clamped. */
export interface OscillatorOptions {
  /** Starting waveform; default {@linkcode Waveform.Saw}. */
  readonly waveform?: WaveformId;
  /** Starting frequency in Hz, [0, sampleRate / 2]; default 440. */
  readonly frequency?: Hz;
  /** Starting detune in cents, ±{@linkcode DETUNE_MAX_CENTS}; default 0. */
  readonly detuneCents?: number;
  /** Starting pulse width, [{@linkcode PULSE_WIDTH_MIN}, {@linkcode PULSE_WIDTH_MAX}]; default 0.5. */
  readonly pulseWidth?: number;
  /** Starting sub-oscillator level, linear 0..1; default 0. */
  readonly subLevel?: number;
  /** Starting FM ratio (modulator / carrier frequency), 0..{@linkcode FM_RATIO_MAX}; default 1. */
  readonly fmRatio?: number;
  /** Starting FM index in radians, 0..{@linkcode FM_INDEX_MAX}; default 0 (no FM). */
  readonly fmIndex?: number;
  /** Starting output gain, linear 0..1; default 1. */
  readonly gain?: number;
  /** Starting phase in cycles, [0, 1); default 0. */
  readonly phase?: number;
  /** Smoothing time constant of every continuous parameter in ms; default 5. */
  readonly smoothingMs?: Milliseconds;
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

function checkWaveform(waveform: number): void {
  if (!isWaveform(waveform)) {
    throw new RangeError(
      `waveform must be an integer from 0 to ${WAVEFORM_COUNT - 1}, got ${waveform}`,
    );
  }
}

function isWaveform(waveform: number): waveform is WaveformId {
  return Number.isInteger(waveform) && waveform >= 0 && waveform < WAVEFORM_COUNT;
}

/**
 * One voice's band-limited oscillator. Frequency (Hz), detune (cents), pulse
 * width, sub level, FM ratio and index and gain glide with
 * {@linkcode ParamSmoother}s; the waveform switches at once (a step, so switch
 * while silent or accept a click).
 *
 * Output: `gain · (wave + subLevel · sub)`, delayed by
 * {@linkcode OSCILLATOR_LATENCY} frames. The sub-oscillator is a square one
 * octave down that flips at every reset of the phase (wrap or sync). FM is
 * phase modulation of the carrier by a sine at `fmRatio ×` the carrier
 * frequency: `wave(phase + fmIndex/(2π) · sin(2π·modPhase))`, so a sine
 * carrier has sidebands at carrier ± k·modulator of amplitude |J_k(fmIndex)|.
 * While the index rests at 0 the modulator stands still. While FM moves the
 * phase more than a whole cycle in one frame the anti-aliasing gives up (the
 * output stays finite and bounded).
 *
 * Setters and `saveState`/`loadState` are called by the control side between
 * blocks; `process`/`processSynced` by the render loop, where they neither
 * allocate nor throw.
 *
 * @example
 * ```ts
 * import { Oscillator, Waveform } from "./oscillator.ts";
 * const osc = new Oscillator(48000, { waveform: Waveform.Pulse, frequency: 110 });
 * osc.setPulseWidth(0.25); // glides
 * const block = new Float64Array(128);
 * osc.process(block, 0, 128);
 * ```
 */
export class Oscillator {
  /** Sample rate in Hz. */
  readonly sampleRate: Hz = 0;
  /** Float64 slots needed by {@linkcode saveState} ({@linkcode OSCILLATOR_STATE_SIZE}). */
  readonly stateSize: number = OSCILLATOR_STATE_SIZE;
  // Numeric fields get numeric initialisers: a field that starts out undefined
  // becomes "tagged" in V8 and then every double stored into it allocates.
  readonly #invRate: number = 0;
  /** sampleRate / 2: the highest frequency. */
  readonly #nyquist: number = 0;
  readonly #freq: ParamSmoother;
  readonly #detune: ParamSmoother;
  readonly #width: ParamSmoother;
  readonly #sub: ParamSmoother;
  readonly #ratio: ParamSmoother;
  readonly #index: ParamSmoother;
  readonly #gain: ParamSmoother;
  /** The seven smoothers in snapshot order, and their ranges. */
  readonly #all: readonly ParamSmoother[];
  readonly #lo: Float64Array;
  readonly #hi: Float64Array;
  #waveform: number = Waveform.Saw;
  /** Carrier phase in cycles, [0, 1): wraps and sync resets happen here. */
  #phase = 0;
  /** Phase the waveform is read at (phase + PM offset), [0, 1). */
  #read = 0;
  /** PM offset at the current frame, in cycles. */
  #offset = 0;
  /** Modulator phase in cycles, [0, 1). */
  #modPhase = 0;
  /** Pulse edge position (pulse width) at the current frame. */
  #edge = 0.5;
  /** Sign of the sub-oscillator square, ±1. */
  #subSign = 1;
  /** Ring index of the current frame. */
  #pos = 0;
  readonly #ring = new Float64Array(BLEP_TAPS);
  readonly #events = new Float64Array(3 * MAX_EVENTS);
  readonly #incs = new Float64Array(SCRATCH_FRAMES);
  readonly #offsets = new Float64Array(SCRATCH_FRAMES);
  readonly #widths = new Float64Array(SCRATCH_FRAMES);
  readonly #subs = new Float64Array(SCRATCH_FRAMES);
  readonly #gains = new Float64Array(SCRATCH_FRAMES);
  readonly #cents = new Float64Array(SCRATCH_FRAMES);
  readonly #ratios = new Float64Array(SCRATCH_FRAMES);
  readonly #indices = new Float64Array(SCRATCH_FRAMES);
  /**
   * Per scratch buffer (FreshSlot), 1 while it holds a settled parameter's
   * value over all SCRATCH_FRAMES, so the chunk loop can skip refilling it.
   * Cleared by every setter.
   */
  readonly #fresh = new Uint8Array(FRESH_SLOTS);
  readonly #one = new Float64Array(1);
  /** Scratch of {@linkcode settle} and #retarget: a smoother's (value, target), then a new target. */
  readonly #tmp = new Float64Array(SMOOTHER_STATE_SIZE + 1);

  /**
   * An oscillator at its starting phase, its parameters settled.
   *
   * @param sampleRate sample rate in Hz.
   * @param options starting values (clamped to their ranges) and smoothing time.
   * @throws {RangeError} for an out-of-range rate, a non-finite option or an unknown waveform.
   */
  constructor(sampleRate: Hz, options: OscillatorOptions = {}) {
    checkSampleRate(sampleRate);
    this.sampleRate = sampleRate;
    this.#invRate = 1 / sampleRate;
    this.#nyquist = sampleRate / 2;
    const timeMs = options.smoothingMs ?? DEFAULT_SMOOTHING_MS;
    const smoother = (what: string, value: number, lo: number, hi: number): ParamSmoother => {
      checkFinite(what, value);
      return new ParamSmoother(sampleRate, { timeMs, initial: clamp(value, lo, hi) });
    };
    this.#freq = smoother("frequency", options.frequency ?? 440, 0, sampleRate / 2);
    const maxCents = DETUNE_MAX_CENTS;
    this.#detune = smoother("detune", options.detuneCents ?? 0, -maxCents, maxCents);
    const width = options.pulseWidth ?? 0.5;
    this.#width = smoother("pulse width", width, PULSE_WIDTH_MIN, PULSE_WIDTH_MAX);
    this.#sub = smoother("sub level", options.subLevel ?? 0, 0, 1);
    this.#ratio = smoother("FM ratio", options.fmRatio ?? 1, 0, FM_RATIO_MAX);
    this.#index = smoother("FM index", options.fmIndex ?? 0, 0, FM_INDEX_MAX);
    this.#gain = smoother("gain", options.gain ?? 1, 0, 1);
    this.#all = [
      this.#freq,
      this.#detune,
      this.#width,
      this.#sub,
      this.#ratio,
      this.#index,
      this.#gain,
    ];
    this.#lo = Float64Array.of(0, -maxCents, PULSE_WIDTH_MIN, 0, 0, 0, 0);
    this.#hi = Float64Array.of(
      sampleRate / 2,
      maxCents,
      PULSE_WIDTH_MAX,
      1,
      FM_RATIO_MAX,
      FM_INDEX_MAX,
      1,
    );
    const waveform = options.waveform ?? Waveform.Saw;
    checkWaveform(waveform);
    this.#waveform = waveform;
    this.#edge = this.#width.value;
    const phase = options.phase ?? 0;
    checkFinite("phase", phase);
    this.resetPhase(phase);
  }

  /** Current waveform. */
  get waveform(): WaveformId {
    return this.#waveform as WaveformId;
  }

  /** Current (smoothed) frequency in Hz, before detune. */
  get frequency(): Hz {
    return this.#freq.value;
  }

  /** Target frequency in Hz. */
  get frequencyTarget(): Hz {
    return this.#freq.target;
  }

  /** Current (smoothed) detune in cents. */
  get detune(): number {
    return this.#detune.value;
  }

  /** Current (smoothed) pulse width, a fraction of the period. */
  get pulseWidth(): number {
    return this.#width.value;
  }

  /** Current (smoothed) sub-oscillator level. */
  get subLevel(): number {
    return this.#sub.value;
  }

  /** Current (smoothed) FM ratio. */
  get fmRatio(): number {
    return this.#ratio.value;
  }

  /** Current (smoothed) FM index in radians. */
  get fmIndex(): number {
    return this.#index.value;
  }

  /** Current (smoothed) linear output gain. */
  get gain(): number {
    return this.#gain.value;
  }

  /** Target linear output gain. */
  get gainTarget(): number {
    return this.#gain.target;
  }

  /** Carrier phase in cycles, [0, 1) (ahead of the output by the latency). */
  get phase(): number {
    return this.#phase;
  }

  /**
   * Switch to `waveform` at once. Control side.
   * @returns false (no change) for an unknown id.
   */
  setWaveform(waveform: number): boolean {
    if (!isWaveform(waveform)) return false;
    this.#waveform = waveform;
    return true;
  }

  // The setters clamp with literals for the exported range constants: a
  // conditional that mixes a module constant with a computed double boxes the
  // double (see _scratch.ts; the literals are pinned by the tests). They set
  // the target through #retarget, so no double crosses a call.

  /**
   * Glide to `hz`, clamped to [0, sampleRate / 2]. Control side.
   * @returns false for NaN or ±Infinity.
   */
  setFrequency(hz: Hz): boolean {
    if (!Number.isFinite(hz)) return false;
    const hi = this.#nyquist;
    this.#tmp[2] = hz < 0 ? 0 : hz > hi ? hi : hz;
    this.#retarget(this.#freq);
    return true;
  }

  /**
   * Glide to a detune of `cents`, clamped to ±{@linkcode DETUNE_MAX_CENTS}. Control side.
   * @returns false for NaN or ±Infinity.
   */
  setDetune(cents: number): boolean {
    if (!Number.isFinite(cents)) return false;
    this.#tmp[2] = cents < -4800 ? -4800 : cents > 4800 ? 4800 : cents; // DETUNE_MAX_CENTS
    this.#retarget(this.#detune);
    return true;
  }

  /**
   * Glide to pulse width `width` (fraction of the period), clamped. Control side.
   * @returns false for NaN or ±Infinity.
   */
  setPulseWidth(width: number): boolean {
    if (!Number.isFinite(width)) return false;
    this.#tmp[2] = width < 0.01 ? 0.01 : width > 0.99 ? 0.99 : width; // PULSE_WIDTH_MIN, _MAX
    this.#retarget(this.#width);
    return true;
  }

  /**
   * Glide to sub-oscillator level `level`, clamped to 0..1. Control side.
   * @returns false for NaN or ±Infinity.
   */
  setSubLevel(level: number): boolean {
    if (!Number.isFinite(level)) return false;
    this.#tmp[2] = level < 0 ? 0 : level > 1 ? 1 : level;
    this.#retarget(this.#sub);
    return true;
  }

  /**
   * Glide to FM ratio `ratio`, clamped to 0..{@linkcode FM_RATIO_MAX}. Control side.
   * @returns false for NaN or ±Infinity.
   */
  setFmRatio(ratio: number): boolean {
    if (!Number.isFinite(ratio)) return false;
    this.#tmp[2] = ratio < 0 ? 0 : ratio > 32 ? 32 : ratio; // FM_RATIO_MAX
    this.#retarget(this.#ratio);
    return true;
  }

  /**
   * Glide to FM index `index` (radians), clamped to 0..{@linkcode FM_INDEX_MAX}. Control side.
   * @returns false for NaN or ±Infinity.
   */
  setFmIndex(index: number): boolean {
    if (!Number.isFinite(index)) return false;
    this.#tmp[2] = index < 0 ? 0 : index > 16 ? 16 : index; // FM_INDEX_MAX
    this.#retarget(this.#index);
    return true;
  }

  /**
   * Glide to linear output gain `gain`, clamped to 0..1. Control side.
   * @returns false for NaN or ±Infinity.
   */
  setGain(gain: number): boolean {
    if (!Number.isFinite(gain)) return false;
    this.#tmp[2] = gain < 0 ? 0 : gain > 1 ? 1 : gain;
    this.#retarget(this.#gain);
    return true;
  }

  /**
   * Set the carrier phase to `phase` cycles (wrapped into [0, 1)) and the
   * modulator phase to 0, at once (not band-limited: a retrigger, best done
   * while silent). Control side.
   * @returns false for NaN or ±Infinity.
   */
  resetPhase(phase = 0): boolean {
    if (!Number.isFinite(phase)) return false;
    const p = phase - Math.floor(phase);
    this.#phase = p < 1 ? p : 0;
    this.#read = this.#phase;
    this.#offset = 0;
    this.#modPhase = 0;
    return true;
  }

  /**
   * Jump every smoothed parameter to its target (no glide). Control side (a
   * voice starting from silence); allocates nothing.
   */
  settle(): void {
    // Through the smoothers' snapshots (value, target): no double crosses a
    // call, so nothing is boxed where V8 does not inline (see _scratch.ts).
    const all = this.#all;
    const tmp = this.#tmp;
    for (let i = 0; i < all.length; i++) {
      const s = all[i] as ParamSmoother;
      s.saveState(tmp, 0);
      tmp[0] = tmp[1] as number;
      s.loadState(tmp, 0);
    }
    this.#fresh.fill(0);
    this.#width.saveState(tmp, 0);
    this.#edge = tmp[0] as number;
  }

  /** Produce one sample (a one-frame {@linkcode process}). For tests and control rate. */
  next(): number {
    this.process(this.#one, 0, 1);
    return this.#one[0] as number;
  }

  /** Write samples to `out[start..end)`. Render loop; allocates nothing. */
  process(out: Float64Array, start: Frames, end: Frames): void {
    this.processSynced(out, start, end, null, null);
  }

  /**
   * Write samples to `out[start..end)` with hard sync. Reset buffers are
   * indexed like `out`; entry i is {@linkcode NO_RESET} or, when the phase
   * reset between frame i and frame i + 1, the time from the reset to frame
   * i + 1 in frames, [0, 1).
   *
   * - `sync`: the master's resets (as written by the master's own
   *   `resets`); this oscillator's phase resets to 0 at each, with the jump
   *   band-limited. Other values are ignored. `null`: free-running.
   * - `resets`: receives this oscillator's own resets (wraps and syncs), so
   *   it can act as a master. `null`: not recorded.
   *
   * The range is clamped to `out`. Render loop; allocates nothing.
   *
   * @example
   * ```ts
   * import { NO_RESET, Oscillator, Waveform } from "./oscillator.ts";
   * const master = new Oscillator(48000, { frequency: 110, gain: 0 });
   * const slave = new Oscillator(48000, { waveform: Waveform.Saw, frequency: 287 });
   * const resets = new Float64Array(128).fill(NO_RESET);
   * const scratch = new Float64Array(128);
   * const out = new Float64Array(128);
   * master.processSynced(scratch, 0, 128, null, resets);
   * slave.processSynced(out, 0, 128, resets, null); // repeats at 110 Hz
   * ```
   */
  processSynced(
    out: Float64Array,
    start: Frames,
    end: Frames,
    sync: Float64Array | null,
    resets: Float64Array | null,
  ): void {
    const frames = out.length;
    // Whole frame numbers as int32, so nothing below is a boxed double.
    const s = start > 0 ? (start < frames ? start | 0 : frames) : 0;
    const e = end > 0 ? (end < frames ? end | 0 : frames) : 0;
    for (let c = s; c < e; c += SCRATCH_FRAMES) {
      const n = e - c < SCRATCH_FRAMES ? e - c : SCRATCH_FRAMES;
      this.#fillIncrements(n);
      this.#fillOffsets(n);
      this.#fillParam(this.#width, this.#widths, n, FreshSlot.Width);
      this.#fillParam(this.#sub, this.#subs, n, FreshSlot.Sub);
      this.#fillParam(this.#gain, this.#gains, n, FreshSlot.Gain);
      this.#render(out, c, n, sync, resets);
    }
  }

  /** Fill `buf[0..n)` from `s`, or nothing while `s` is settled and `buf` already holds it. */
  #fillParam(s: ParamSmoother, buf: Float64Array, n: number, slot: number): void {
    const fresh = this.#fresh;
    if (s.isSettled) {
      if (fresh[slot] === 1) return;
      s.fill(buf, 0, SCRATCH_FRAMES);
      fresh[slot] = 1;
    } else {
      s.fill(buf, 0, n);
      fresh[slot] = 0;
    }
  }

  /** Phase increments (cycles per frame) of frames 0..n, from frequency and detune. */
  #fillIncrements(n: number): void {
    const incs = this.#incs;
    const cents = this.#cents;
    const fresh = this.#fresh;
    const detuneSettled = this.#detune.isSettled;
    const settled = detuneSettled && this.#freq.isSettled;
    if (settled && fresh[FreshSlot.Increments] === 1) return;
    const m = settled ? SCRATCH_FRAMES : n;
    this.#freq.fill(incs, 0, m);
    this.#detune.fill(cents, 0, m);
    const invRate = this.#invRate;
    const fixed = invRate * Math.exp((cents[0] as number) * CENT_LOG);
    for (let i = 0; i < m; i++) {
      const k = detuneSettled ? fixed : invRate * Math.exp((cents[i] as number) * CENT_LOG);
      // Math.min, not a ?: with the constant: that would box (see _scratch.ts).
      incs[i] = Math.min((incs[i] as number) * k, MAX_PHASE_INCREMENT);
    }
    fresh[FreshSlot.Increments] = settled ? 1 : 0;
  }

  /**
   * PM offsets (cycles) of frames 0..n: fmIndex/(2π)·sin(2π·modPhase). While
   * the index is settled at 0 they are 0 and the modulator phase stands still.
   */
  #fillOffsets(n: number): void {
    const incs = this.#incs;
    const offsets = this.#offsets;
    const ratios = this.#ratios;
    const indices = this.#indices;
    const fresh = this.#fresh;
    if (this.#index.isSettled && this.#index.target === 0) {
      if (!this.#ratio.isSettled) this.#ratio.fill(ratios, 0, n);
      if (fresh[FreshSlot.Offsets] === 0) offsets.fill(0);
      fresh[FreshSlot.Offsets] = 1;
      return;
    }
    fresh[FreshSlot.Offsets] = 0;
    this.#ratio.fill(ratios, 0, n);
    this.#index.fill(indices, 0, n);
    let m = this.#modPhase;
    for (let i = 0; i < n; i++) {
      m += Math.min((incs[i] as number) * (ratios[i] as number), MAX_PHASE_INCREMENT);
      if (m >= 1) m -= 1;
      const x = m * SINE_SIZE;
      const k = x | 0;
      const a = SINE[k] as number;
      offsets[i] = (indices[i] as number) * INV_TWO_PI *
        (a + (x - k) * ((SINE[k + 1] as number) - a));
    }
    this.#modPhase = m;
  }

  /**
   * The per-frame loop: put the naive value at the current phase into the
   * output ring and emit the frame that has left the residuals' reach; then
   * advance the phases to the next frame, find the steps and corners on the
   * way (wraps, waveform edges, sync resets) and add their residuals.
   */
  #render(
    out: Float64Array,
    o0: number,
    n: number,
    sync: Float64Array | null,
    resets: Float64Array | null,
  ): void {
    const wave = this.#waveform;
    const incs = this.#incs;
    const offsets = this.#offsets;
    const widths = this.#widths;
    const subs = this.#subs;
    const gains = this.#gains;
    const ring = this.#ring;
    const ev = this.#events;
    // The waveform's own edges: positions, steps (value change going up in
    // phase) and slope changes (per cycle). Pulse edge 2 moves with the width.
    const edges = wave === Waveform.Sine ? 0 : wave === Waveform.Saw ? 1 : 2;
    const tri = wave === Waveform.Triangle;
    const pulse = wave === Waveform.Pulse;
    const e1 = tri ? 0.25 : 0;
    const e2 = tri ? 0.75 : 0.5;
    const h1 = tri ? 0 : wave === Waveform.Saw ? -2 : 2;
    const s1 = tri ? -8 : 0;
    const h2 = tri ? 0 : -2;
    const s2 = tri ? 8 : 0;
    let p = this.#phase;
    let r = this.#read;
    let oPrev = this.#offset;
    let edge = this.#edge;
    let subSign = this.#subSign;
    let pos = this.#pos;
    for (let i = 0; i < n; i++) {
      const sub = subs[i] as number;
      // This frame: the naive waveform at the read phase, plus the sub.
      let y = sub * subSign;
      if (wave === Waveform.Sine) {
        const x = r * SINE_SIZE;
        const k = x | 0;
        const a = SINE[k] as number;
        y += a + (x - k) * ((SINE[k + 1] as number) - a);
      } else if (wave === Waveform.Saw) {
        y += 2 * r - 1;
      } else if (wave === Waveform.Square) {
        y += r < 0.5 ? 1 : -1;
      } else if (pulse) {
        y += (r < edge ? 1 : -1) - (2 * edge - 1);
      } else {
        y += r < 0.25 ? 4 * r : r < 0.75 ? 2 - 4 * r : 4 * r - 4;
      }
      ring[pos] = (ring[pos] as number) + y;
      const oldest = (pos - BLEP_HALF_WIDTH) & RING_MASK;
      out[o0 + i] = (ring[oldest] as number) * (gains[i] as number);
      ring[oldest] = 0;
      pos = (pos + 1) & RING_MASK;
      // To the next frame. Events are stored as (time from the event to the
      // next frame in frames, step, slope change per frame).
      const dt = incs[i] as number;
      const oNow = offsets[i] as number;
      const w = widths[i] as number;
      const delta = dt + (oNow - oPrev);
      // -1 is NO_RESET, written as a literal: a phi of a double and a module
      // constant is boxed, i.e. allocates (see _scratch.ts).
      const sv = sync === null ? -1 : sync[o0 + i] as number;
      const ds = sv >= 0 && sv < 1 ? sv : -1;
      const synced = ds >= 0;
      let ne = 0;
      let reset = -1;
      // Segment A: from this frame to the sync reset (or to the next frame).
      const lenA = synced ? 1 - ds : 1;
      let pa = p + dt * lenA;
      if (pa >= 1) {
        pa -= 1;
        reset = (synced ? ds : 0) + pa / dt;
        ev[3 * ne] = reset;
        ev[3 * ne + 1] = -2 * subSign * sub;
        ev[3 * ne + 2] = 0;
        ne++;
        subSign = -subSign;
      }
      let rs = r;
      let len = lenA;
      let tEnd = synced ? ds : 0;
      let eS = edge;
      let eE = synced ? edge + (w - edge) * lenA : w;
      for (let seg = 0;; seg++) {
        const dSeg = delta * len;
        // Edge crossings: read phase minus edge passes an integer.
        for (let q = 0; q < edges; q++) {
          const a = q === 0 ? rs - e1 : rs - (pulse ? eS : e2);
          const b = q === 0 ? a + dSeg : rs + dSeg - (pulse ? eE : e2);
          const fa = Math.floor(a);
          const fb = Math.floor(b);
          const span = b - a;
          if (fa !== fb && span < 1 && span > -1) {
            const k = fa > fb ? fa : fb;
            const up = span > 0;
            ev[3 * ne] = tEnd + (len * (b - k)) / span;
            ev[3 * ne + 1] = q === 0 ? (up ? h1 : -h1) : (up ? h2 : -h2);
            ev[3 * ne + 2] = (q === 0 ? s1 : s2) * (delta > 0 ? delta : -delta);
            ne++;
          }
        }
        let re = rs + dSeg;
        if (re >= 1 || re < 0) re -= Math.floor(re);
        if (!synced || seg === 1) {
          r = re;
          break;
        }
        // Sync reset, ds frames before the next frame: the carrier phase
        // restarts at 0, the read phase at the PM offset of that moment.
        const oE = oPrev + (oNow - oPrev) * lenA;
        const r0 = oE - Math.floor(oE);
        // Waveform value and slope (per cycle) just before (q 0) and after (q 1).
        let v0 = 0;
        let v1 = 0;
        let d0 = 0;
        let d1 = 0;
        for (let q = 0; q < 2; q++) {
          const x = q === 0 ? re : r0;
          let v = 0;
          let d = 0;
          if (wave === Waveform.Sine) {
            let z = x * SINE_SIZE;
            let k = z | 0;
            let t = SINE[k] as number;
            v = t + (z - k) * ((SINE[k + 1] as number) - t);
            const xc = x + 0.25 < 1 ? x + 0.25 : x - 0.75;
            z = xc * SINE_SIZE;
            k = z | 0;
            t = SINE[k] as number;
            d = TWO_PI * (t + (z - k) * ((SINE[k + 1] as number) - t));
          } else if (wave === Waveform.Saw) {
            v = 2 * x - 1;
            d = 2;
          } else if (tri) {
            v = x < 0.25 ? 4 * x : x < 0.75 ? 2 - 4 * x : 4 * x - 4;
            d = x < 0.25 || x >= 0.75 ? 4 : -4;
          } else {
            v = x < (pulse ? eE : 0.5) ? 1 : -1;
          }
          if (q === 0) {
            v0 = v;
            d0 = d;
          } else {
            v1 = v;
            d1 = d;
          }
        }
        ev[3 * ne] = ds;
        ev[3 * ne + 1] = v1 - v0 - 2 * subSign * sub;
        ev[3 * ne + 2] = (d1 - d0) * delta;
        ne++;
        subSign = -subSign;
        reset = ds;
        pa = dt * ds;
        rs = r0;
        len = ds;
        tEnd = 0;
        eS = eE;
        eE = w;
      }
      p = pa;
      edge = w;
      oPrev = oNow;
      if (resets !== null) resets[o0 + i] = reset;
      // Residuals of the events, over frames next - Z .. next + Z - 1.
      for (let q = 0; q < ne; q++) {
        const d0 = ev[3 * q] as number;
        const d = d0 > 0 ? Math.min(d0, EVENT_OFFSET_MAX) : 0;
        const h = ev[3 * q + 1] as number;
        const sl = ev[3 * q + 2] as number;
        const x = d * BLEP_PHASES;
        const j = x | 0;
        const f = x - j;
        let t = j;
        for (let k = 0; k < BLEP_TAPS; k++) {
          const b0 = BLEP_TABLE[t] as number;
          let add = h * (b0 + f * ((BLEP_TABLE[t + 1] as number) - b0));
          if (sl !== 0) {
            const a0 = BLAMP_TABLE[t] as number;
            add += sl * (a0 + f * ((BLAMP_TABLE[t + 1] as number) - a0));
          }
          const at = (pos + k - BLEP_HALF_WIDTH) & RING_MASK;
          ring[at] = (ring[at] as number) + add;
          t += BLEP_STRIDE;
        }
      }
    }
    this.#phase = p;
    this.#read = r;
    this.#offset = oPrev;
    this.#edge = edge;
    this.#subSign = subSign;
    this.#pos = pos;
  }

  /**
   * Glide `s` to the target in #tmp[2] (checked and clamped by the caller)
   * through its snapshot, so no double crosses a call (see _scratch.ts).
   */
  #retarget(s: ParamSmoother): void {
    const tmp = this.#tmp;
    const target = tmp[2] as number;
    s.saveState(tmp, 0);
    tmp[1] = target;
    s.loadState(tmp, 0);
    this.#fresh.fill(0);
  }

  /** Write the state to `dst` at `offset`; returns the offset after it. */
  saveState(dst: Float64Array, offset: number): number {
    dst[offset] = this.#waveform;
    dst[offset + 1] = this.#phase;
    dst[offset + 2] = this.#read;
    dst[offset + 3] = this.#offset;
    dst[offset + 4] = this.#modPhase;
    dst[offset + 5] = this.#edge;
    dst[offset + 6] = this.#subSign;
    dst[offset + 7] = this.#pos;
    dst.set(this.#ring, offset + 8);
    let o = offset + 8 + BLEP_TAPS;
    for (let i = 0; i < this.#all.length; i++) {
      o = (this.#all[i] as ParamSmoother).saveState(dst, o);
    }
    return o;
  }

  /**
   * Read the state written by {@linkcode saveState}; returns the offset after
   * it. Values a valid snapshot cannot hold (NaN, ±Infinity, out of range)
   * are repaired: phases to 0, parameters clamped or set to their targets.
   */
  loadState(src: Float64Array, offset: number): number {
    const at = (i: number): number => src[offset + i] ?? NaN;
    const unit = (x: number): number => (x >= 0 && x < 1 ? x : 0);
    const wave = at(0);
    if (isWaveform(wave)) this.#waveform = wave;
    this.#phase = unit(at(1));
    this.#read = unit(at(2));
    const maxOffset = FM_INDEX_MAX * INV_TWO_PI;
    const o = at(3);
    this.#offset = Number.isFinite(o) ? clamp(o, -maxOffset, maxOffset) : 0;
    this.#modPhase = unit(at(4));
    this.#subSign = at(6) < 0 ? -1 : 1;
    const pos = at(7);
    this.#pos = Number.isInteger(pos) ? pos & RING_MASK : 0;
    for (let i = 0; i < BLEP_TAPS; i++) {
      const v = at(8 + i);
      this.#ring[i] = Number.isFinite(v) ? clamp(v, -RING_LIMIT, RING_LIMIT) : 0;
    }
    let next = offset + 8 + BLEP_TAPS;
    for (let i = 0; i < this.#all.length; i++) {
      const s = this.#all[i] as ParamSmoother;
      next = s.loadState(src, next);
      repair(s, this.#lo[i] as number, this.#hi[i] as number);
    }
    this.#fresh.fill(0);
    const w = at(5);
    this.#edge = Number.isFinite(w) ? clamp(w, PULSE_WIDTH_MIN, PULSE_WIDTH_MAX) : 0.5;
    return next;
  }
}

const TWO_PI = 2 * Math.PI;
const INV_TWO_PI = 1 / TWO_PI;
/** ln(2) / 1200: cents to a natural-log frequency ratio. */
const CENT_LOG = Math.LN2 / 1200;

/** After loading a snapshot: value and target back into [lo, hi], non-finite to the other or lo. */
function repair(s: ParamSmoother, lo: number, hi: number): void {
  const v = s.value;
  const t = s.target;
  const target = Number.isFinite(t) ? clamp(t, lo, hi) : Number.isFinite(v) ? clamp(v, lo, hi) : lo;
  const value = Number.isFinite(v) ? clamp(v, lo, hi) : target;
  if (value !== v || target !== t) {
    s.reset(value);
    s.setTarget(target);
  }
}
