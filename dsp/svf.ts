/**
 * Multi-mode resonant 2-pole filter: the topology-preserving (trapezoidal)
 * state-variable filter of {@linkcode SvfLowpass} (Zavalishin; Cytomic
 * "SvfLinearTrapOptimised2") with four outputs mixed from its states.
 *
 * With v1 the band output and v2 the low output of the SVF and k = 1/Q, the
 * modes are the analog prototypes (s normalised to the cutoff)
 * - low-pass   1 / (s² + s/Q + 1)                  → v2
 * - high-pass  s² / (s² + s/Q + 1)                 → x − k·v1 − v2
 * - band-pass  (s/Q) / (s² + s/Q + 1), 0 dB peak   → k·v1
 * - notch      (s² + 1) / (s² + s/Q + 1)           → x − k·v1
 * under the bilinear transform with the cutoff prewarped, so
 * {@linkcode svfMagnitude} is exact.
 *
 * Cutoff modulation: {@linkcode SvfFilter.process} takes an optional buffer
 * of offsets in octaves added to the smoothed cutoff per sample, so a voice
 * can feed filter envelope, key tracking and LFOs at audio rate:
 *
 * ```ts
 * import { keyTrackOctaves, SvfFilter, SvfMode } from "./svf.ts";
 * const filter = new SvfFilter(48000, { mode: SvfMode.Lowpass, cutoffHz: 400, resonance: 0.6 });
 * const keyTrack = keyTrackOctaves(440, 0.5); // once per note, control side
 * const envOctaves = 3; // filter-envelope amount
 * const env = new Float64Array(128).fill(1); // from an Envelope
 * const mod = new Float64Array(128); // preallocated by the voice
 * const block = new Float64Array(128); // oscillator output
 * for (let i = 0; i < 128; i++) mod[i] = (env[i] as number) * envOctaves + keyTrack;
 * filter.process(block, 0, 128, mod); // cutoff = 400 Hz · 2^mod[i], clamped
 * ```
 *
 * @module
 */

import { checkFinite, checkSampleRate } from "./_checks.ts";
import { SCRATCH_FRAMES } from "./_scratch.ts";
import { DEFAULT_SMOOTHING_MS, ParamSmoother, SMOOTHER_STATE_SIZE } from "./smoother.ts";
import {
  clampCutoff,
  SVF_FLUSH_LEVEL,
  SVF_MAX_CUTOFF_RATIO,
  SVF_MAX_Q,
  SVF_MIN_CUTOFF,
  SVF_MIN_Q,
  svfCoefficients,
} from "./svf_lowpass.ts";
import type { Hz, Milliseconds } from "./units.ts";

/** Filter modes of {@linkcode SvfFilter}. */
export const SvfMode = {
  /** 12 dB/octave low-pass, gain Q at the cutoff. */
  Lowpass: 0,
  /** 12 dB/octave high-pass, gain Q at the cutoff. */
  Highpass: 1,
  /** 6 dB/octave band-pass with 0 dB peak at the cutoff; narrower as Q grows. */
  Bandpass: 2,
  /** Band-reject: 0 at the cutoff, 0 dB far from it; narrower as Q grows. */
  Notch: 3,
} as const;

/** An SVF mode (a value of {@linkcode SvfMode}). */
export type SvfModeId = typeof SvfMode[keyof typeof SvfMode];

/** Reference pitch of {@linkcode keyTrackOctaves} in Hz: middle C (C4, MIDI note 60). */
export const KEYTRACK_REFERENCE_HZ: Hz = 261.6255653005986;

/** Number of float64 slots used by {@linkcode SvfFilter.saveState}. */
export const SVF_FILTER_STATE_SIZE: number = 3 + 5 * SMOOTHER_STATE_SIZE;

/** Q at resonance 1 over Q at resonance 0 (as in svf_lowpass.ts). */
const Q_RATIO = SVF_MAX_Q / SVF_MIN_Q;

/**
 * Output weights per mode, three per mode: y = wx·x + wb·k·v1 + wl·v2 (see
 * the module doc). Smoothing these weights crossfades a mode change.
 */
const MODE_WEIGHTS: readonly (readonly [number, number, number])[] = [
  [0, 0, 1],
  [1, -1, -1],
  [0, 1, 0],
  [1, -1, 0],
];

function checkMode(mode: number): void {
  if (!(mode === 0 || mode === 1 || mode === 2 || mode === 3)) {
    throw new RangeError(`filter mode must be 0, 1, 2 or 3 (an SvfMode), got ${mode}`);
  }
}

/**
 * Exact magnitude (linear) of {@linkcode SvfFilter} in `mode` at `freqHz` in
 * [0, rate/2], cutoff `cutoffHz` (clamped like {@linkcode clampCutoff}) and
 * quality factor `q`. With w = tan(π·f/rate) / tan(π·cutoff/rate) and
 * D = √((1 − w²)² + (w/Q)²): low-pass 1/D, high-pass w²/D, band-pass
 * (w/Q)/D, notch |1 − w²|/D. At rate/2: 0, 1, 0, 1.
 *
 * @throws {RangeError} for an unknown mode, a frequency outside [0, rate/2],
 * a non-finite cutoff, Q <= 0 or an out-of-range rate.
 *
 * @example
 * ```ts
 * import { svfMagnitude, SvfMode } from "./svf.ts";
 * svfMagnitude(SvfMode.Highpass, 1000, 1000, 4, 48000); // 4 (= Q at the cutoff)
 * svfMagnitude(SvfMode.Bandpass, 1000, 1000, 4, 48000); // 1
 * svfMagnitude(SvfMode.Notch, 1000, 1000, 4, 48000); // 0
 * ```
 */
export function svfMagnitude(
  mode: SvfModeId,
  freqHz: Hz,
  cutoffHz: Hz,
  q: number,
  rate: Hz,
): number {
  checkMode(mode);
  const { g } = svfCoefficients(cutoffHz, q, rate);
  if (!(freqHz >= 0 && freqHz <= rate / 2)) {
    throw new RangeError(`frequency must be between 0 and ${rate / 2} Hz, got ${freqHz}`);
  }
  if (freqHz === rate / 2) return mode === SvfMode.Highpass || mode === SvfMode.Notch ? 1 : 0;
  const w = Math.tan((Math.PI * freqHz) / rate) / g;
  const re = 1 - w * w;
  const im = w / q;
  const d = Math.sqrt(re * re + im * im);
  switch (mode) {
    case SvfMode.Lowpass:
      return 1 / d;
    case SvfMode.Highpass:
      return (w * w) / d;
    case SvfMode.Bandpass:
      return im / d;
    default:
      return Math.abs(re) / d;
  }
}

/**
 * Cutoff offset in octaves for key tracking: `amount · log2(noteHz / 261.63)`
 * ({@linkcode KEYTRACK_REFERENCE_HZ}, middle C), `amount` clamped to 0..1.
 * Amount 1 makes the cutoff follow the note exactly (an octave up doubles
 * it), 0 leaves it alone; the cutoff set on the filter applies at middle C.
 *
 * @throws {RangeError} if `noteHz` is not a finite number > 0 or `amount` is NaN.
 *
 * @example
 * ```ts
 * import { keyTrackOctaves } from "./svf.ts";
 * keyTrackOctaves(523.2511306011972, 1); // 1 (C5: one octave above middle C)
 * keyTrackOctaves(523.2511306011972, 0.5); // 0.5
 * ```
 */
export function keyTrackOctaves(noteHz: Hz, amount: number): number {
  if (!(noteHz > 0 && noteHz < Infinity)) {
    throw new RangeError(`note frequency must be a finite number > 0 Hz, got ${noteHz}`);
  }
  if (Number.isNaN(amount)) throw new RangeError("key tracking must be between 0 and 1, got NaN");
  const a = amount < 0 ? 0 : amount > 1 ? 1 : amount;
  return a * Math.log2(noteHz / KEYTRACK_REFERENCE_HZ);
}

/** Options of {@linkcode SvfFilter}. */
export interface SvfFilterOptions {
  /** Starting mode; default {@linkcode SvfMode.Lowpass}. */
  readonly mode?: SvfModeId;
  /** Starting cutoff in Hz; default 1000. */
  readonly cutoffHz?: Hz;
  /** Starting resonance 0..1 (Q from 1/√2 to 20, see resonanceToQ); default 0. */
  readonly resonance?: number;
  /** Smoothing time constant of cutoff, resonance and mode crossfades in ms; default 5; 0 = none. */
  readonly smoothingMs?: Milliseconds;
}

/**
 * Multi-mode trapezoidal SVF (low-pass, high-pass, band-pass, notch) with
 * smoothed cutoff (Hz), resonance (0..1, Q = (1/√2)·(20·√2)^resonance) and a
 * smoothed crossfade on mode changes, so nothing clicks. Optional per-sample
 * cutoff modulation in octaves (see the module doc); the modulated cutoff is
 * clamped to [20 Hz, 0.45·rate]. The filter stays stable when the cutoff
 * moves every sample. Integrator states below {@linkcode SVF_FLUSH_LEVEL} are
 * flushed to 0; non-finite input samples are read as 0.
 *
 * Setters, {@linkcode reset}, {@linkcode saveState} and {@linkcode loadState}
 * are called by the control side between sub-blocks; {@linkcode process} by
 * the render loop, where it neither allocates nor throws.
 *
 * @example
 * ```ts
 * import { SvfFilter, SvfMode } from "./svf.ts";
 * const hp = new SvfFilter(48000, { mode: SvfMode.Highpass, cutoffHz: 200, resonance: 0.3 });
 * const block = new Float64Array(128);
 * block[0] = 1;
 * hp.process(block, 0, 128); // impulse response, in place
 * ```
 */
export class SvfFilter {
  /** Sample rate in Hz. */
  readonly sampleRate: Hz = 0;
  /** Float64 slots needed by {@linkcode saveState} ({@linkcode SVF_FILTER_STATE_SIZE}). */
  readonly stateSize: number = SVF_FILTER_STATE_SIZE;
  readonly #cutoff: ParamSmoother;
  readonly #resonance: ParamSmoother;
  readonly #wx: ParamSmoother;
  readonly #wb: ParamSmoother;
  readonly #wl: ParamSmoother;
  /** All five smoothers, in state order. */
  readonly #smoothers: readonly ParamSmoother[];
  #mode: number = SvfMode.Lowpass;
  #ic1 = 0;
  #ic2 = 0;
  // Coefficients for the settled cutoff and resonance, and the values they are
  // for: k for #keyResonance, a1..a3 for #keyCutoff with that k.
  #keyCutoff = NaN;
  #keyResonance = NaN;
  #k = 0;
  #a1 = 0;
  #a2 = 0;
  #a3 = 0;
  readonly #cutoffs = new Float64Array(SCRATCH_FRAMES);
  readonly #resonances = new Float64Array(SCRATCH_FRAMES);
  readonly #wxs = new Float64Array(SCRATCH_FRAMES);
  readonly #wbs = new Float64Array(SCRATCH_FRAMES);
  readonly #wls = new Float64Array(SCRATCH_FRAMES);
  readonly #one = new Float64Array(1);
  /** Scratch for {@linkcode settleSmoother}. */
  readonly #settle = new Float64Array(SMOOTHER_STATE_SIZE);

  /**
   * A filter with cleared integrators, its parameters settled.
   *
   * @param sampleRate sample rate in Hz.
   * @param options starting mode, cutoff, resonance and smoothing time.
   * @throws {RangeError} for an out-of-range rate, an unknown mode or a non-finite option.
   */
  constructor(sampleRate: Hz, options: SvfFilterOptions = {}) {
    checkSampleRate(sampleRate);
    this.sampleRate = sampleRate;
    const timeMs = options.smoothingMs ?? DEFAULT_SMOOTHING_MS;
    this.#cutoff = new ParamSmoother(sampleRate, { timeMs, initial: SVF_MIN_CUTOFF });
    this.#resonance = new ParamSmoother(sampleRate, { timeMs, initial: 0 });
    this.#wx = new ParamSmoother(sampleRate, { timeMs, initial: 0 });
    this.#wb = new ParamSmoother(sampleRate, { timeMs, initial: 0 });
    this.#wl = new ParamSmoother(sampleRate, { timeMs, initial: 1 });
    this.#smoothers = [this.#cutoff, this.#resonance, this.#wx, this.#wb, this.#wl];
    this.setMode(options.mode ?? SvfMode.Lowpass);
    this.setCutoff(options.cutoffHz ?? 1000);
    this.setResonance(options.resonance ?? 0);
    this.reset();
  }

  /** Current mode (the target of a running crossfade). */
  get mode(): SvfModeId {
    const m = this.#mode;
    return m === 1 || m === 2 || m === 3 ? m : SvfMode.Lowpass;
  }

  /** Current (smoothed) cutoff in Hz, before modulation. */
  get cutoff(): Hz {
    return this.#cutoff.value;
  }

  /** Current (smoothed) resonance, 0..1. */
  get resonance(): number {
    return this.#resonance.value;
  }

  /** Current Q, from the smoothed resonance. */
  get q(): number {
    return qOfResonance(this.#resonance.value);
  }

  /**
   * Switch to `mode`, crossfading the outputs over the smoothing time. Control side.
   * @throws {RangeError} for a value that is not an {@linkcode SvfMode}.
   */
  setMode(mode: SvfModeId): void {
    checkMode(mode);
    this.#mode = mode;
    const w = MODE_WEIGHTS[mode] as readonly [number, number, number];
    this.#wx.setTarget(w[0]);
    this.#wb.setTarget(w[1]);
    this.#wl.setTarget(w[2]);
  }

  /**
   * Glide the cutoff to `hz`, clamped by {@linkcode clampCutoff}. Control side.
   * @throws {RangeError} if `hz` is not finite.
   */
  setCutoff(hz: Hz): void {
    checkFinite("cutoff", hz);
    this.#cutoff.setTarget(clampCutoff(hz, this.sampleRate));
  }

  /**
   * Glide the resonance to `resonance`, clamped to 0..1. Control side.
   * @throws {RangeError} if `resonance` is not finite.
   */
  setResonance(resonance: number): void {
    checkFinite("resonance", resonance);
    this.#resonance.setTarget(resonance < 0 ? 0 : resonance > 1 ? 1 : resonance);
  }

  /**
   * Clear the integrators and jump cutoff, resonance and mode to their
   * targets. Control side (a voice starting from silence); allocates nothing.
   */
  reset(): void {
    this.#ic1 = 0;
    this.#ic2 = 0;
    const smoothers = this.#smoothers;
    for (let i = 0; i < smoothers.length; i++) {
      settleSmoother(smoothers[i] as ParamSmoother, this.#settle);
    }
  }

  /** Filter one sample `x` (a one-frame {@linkcode process}). For tests and control rate. */
  next(x: number): number {
    const one = this.#one;
    one[0] = x;
    this.process(one, 0, 1);
    return one[0] as number;
  }

  /**
   * Filter `buf[start..end)` in place. With `modOctaves`, sample i uses the
   * cutoff · 2^modOctaves[i] (same indices as `buf`), clamped to
   * [20 Hz, 0.45·rate]; NaN offsets give 20 Hz. Render loop; allocates nothing.
   */
  process(buf: Float64Array, start: number, end: number, modOctaves?: Float64Array): void {
    for (let c = start; c < end; c += SCRATCH_FRAMES) {
      const n = end - c < SCRATCH_FRAMES ? end - c : SCRATCH_FRAMES;
      this.#wx.fill(this.#wxs, 0, n);
      this.#wb.fill(this.#wbs, 0, n);
      this.#wl.fill(this.#wls, 0, n);
      if (modOctaves !== undefined || !this.#cutoff.isSettled || !this.#resonance.isSettled) {
        const resGliding = !this.#resonance.isSettled;
        this.#cutoff.fill(this.#cutoffs, 0, n);
        // Settled, fill(…, 0, 1) only writes the value to [0]: read there, not
        // through a getter (see #updateK).
        this.#resonance.fill(this.#resonances, 0, resGliding ? n : 1);
        if (!resGliding) this.#updateK();
        this.#runModulated(buf, c, n, modOctaves, resGliding);
      } else {
        this.#cutoff.fill(this.#cutoffs, 0, 1);
        this.#resonance.fill(this.#resonances, 0, 1);
        this.#updateCoefficients();
        this.#runStatic(buf, c, n);
      }
    }
    // Only an overflow can get here with a non-finite state: start again from silence.
    if (!(this.#ic1 - this.#ic1 === 0 && this.#ic2 - this.#ic2 === 0)) {
      this.#ic1 = 0;
      this.#ic2 = 0;
    }
  }

  /** Write the state to `dst` at `offset`; returns the offset after it. */
  saveState(dst: Float64Array, offset: number): number {
    dst[offset] = this.#ic1;
    dst[offset + 1] = this.#ic2;
    dst[offset + 2] = this.#mode;
    let o = offset + 3;
    for (const s of this.#smoothers) {
      o = s.saveState(dst, o);
    }
    return o;
  }

  /**
   * Read the state written by {@linkcode saveState}; returns the offset after
   * it. Values are not checked: the owner guards against non-finite state.
   */
  loadState(src: Float64Array, offset: number): number {
    this.#ic1 = src[offset] ?? 0;
    this.#ic2 = src[offset + 1] ?? 0;
    this.#mode = src[offset + 2] ?? 0;
    let o = offset + 3;
    for (const s of this.#smoothers) {
      o = s.loadState(src, o);
    }
    this.#keyCutoff = NaN;
    this.#keyResonance = NaN;
    return o;
  }

  /** Filter `buf[c..c+n)` with the cached coefficients (cutoff and resonance settled). */
  #runStatic(buf: Float64Array, c: number, n: number): void {
    const wxs = this.#wxs;
    const wbs = this.#wbs;
    const wls = this.#wls;
    const k = this.#k;
    const a1 = this.#a1;
    const a2 = this.#a2;
    const a3 = this.#a3;
    let ic1 = this.#ic1;
    let ic2 = this.#ic2;
    for (let i = 0; i < n; i++) {
      const x0 = buf[c + i] as number;
      const x = x0 - x0 === 0 ? x0 : 0;
      const v3 = x - ic2;
      const v1 = a1 * ic1 + a2 * v3;
      const v2 = ic2 + a2 * ic1 + a3 * v3;
      const n1 = 2 * v1 - ic1;
      const n2 = 2 * v2 - ic2;
      ic1 = n1 > SVF_FLUSH_LEVEL || n1 < -SVF_FLUSH_LEVEL ? n1 : 0;
      ic2 = n2 > SVF_FLUSH_LEVEL || n2 < -SVF_FLUSH_LEVEL ? n2 : 0;
      buf[c + i] = (wxs[i] as number) * x + (wbs[i] as number) * k * v1 + (wls[i] as number) * v2;
    }
    this.#ic1 = ic1;
    this.#ic2 = ic2;
  }

  /**
   * Filter `buf[c..c+n)` with coefficients computed per sample from the
   * scratch cutoffs, the optional octave offsets and, when `resGliding`, the
   * scratch resonances (else the cached k).
   */
  #runModulated(
    buf: Float64Array,
    c: number,
    n: number,
    mod: Float64Array | undefined,
    resGliding: boolean,
  ): void {
    const rate = this.sampleRate;
    const hi = SVF_MAX_CUTOFF_RATIO * rate;
    const cutoffs = this.#cutoffs;
    const resonances = this.#resonances;
    const wxs = this.#wxs;
    const wbs = this.#wbs;
    const wls = this.#wls;
    const k0 = this.#k;
    let ic1 = this.#ic1;
    let ic2 = this.#ic2;
    for (let i = 0; i < n; i++) {
      // svfCoefficients(cutoff · 2^mod, qOfResonance(r)), written out: see _scratch.ts.
      // Literals 20 (SVF_MIN_CUTOFF, SVF_MAX_Q) and √½ (SVF_MIN_Q): a conditional that
      // mixes an imported constant with a computed double boxes the double.
      let fc = cutoffs[i] as number;
      if (mod !== undefined) {
        fc *= Math.pow(2, mod[c + i] as number);
        fc = fc > 20 ? (fc < hi ? fc : hi) : 20;
      }
      const r0 = resonances[i] as number;
      const r = r0 < 0 ? 0 : r0 > 1 ? 1 : r0;
      const k = resGliding ? 1 / (r === 1 ? 20 : Math.SQRT1_2 * Math.pow(Q_RATIO, r)) : k0;
      const g = Math.tan((Math.PI * fc) / rate);
      const a1 = 1 / (1 + g * (g + k));
      const a2 = g * a1;
      const a3 = g * a2;
      const x0 = buf[c + i] as number;
      const x = x0 - x0 === 0 ? x0 : 0;
      const v3 = x - ic2;
      const v1 = a1 * ic1 + a2 * v3;
      const v2 = ic2 + a2 * ic1 + a3 * v3;
      const n1 = 2 * v1 - ic1;
      const n2 = 2 * v2 - ic2;
      ic1 = n1 > SVF_FLUSH_LEVEL || n1 < -SVF_FLUSH_LEVEL ? n1 : 0;
      ic2 = n2 > SVF_FLUSH_LEVEL || n2 < -SVF_FLUSH_LEVEL ? n2 : 0;
      buf[c + i] = (wxs[i] as number) * x + (wbs[i] as number) * k * v1 + (wls[i] as number) * v2;
    }
    this.#ic1 = ic1;
    this.#ic2 = ic2;
  }

  /**
   * k = 1/Q for the settled resonance in #resonances[0], if it changed (then
   * the cached a1..a3 are stale). Called per chunk by process, so it reads its
   * input from the scratch buffer, not through the smoothers' getters: a getter
   * V8 does not inline returns its double boxed, i.e. allocates. qOfResonance
   * written out, with the literals of #runModulated.
   */
  #updateK(): void {
    const resonance = this.#resonances[0] as number;
    if (resonance === this.#keyResonance) return;
    this.#keyResonance = resonance;
    this.#keyCutoff = NaN;
    const r = resonance < 0 ? 0 : resonance > 1 ? 1 : resonance;
    this.#k = 1 / (r === 1 ? 20 : Math.SQRT1_2 * Math.pow(Q_RATIO, r));
  }

  /**
   * k, a1, a2 and a3 for the settled cutoff and resonance in #cutoffs[0] and
   * #resonances[0], if they changed. Reads the scratch buffers, as #updateK.
   */
  #updateCoefficients(): void {
    this.#updateK();
    const cutoff = this.#cutoffs[0] as number;
    if (cutoff === this.#keyCutoff) return;
    this.#keyCutoff = cutoff;
    const g = Math.tan((Math.PI * cutoff) / this.sampleRate);
    const a1 = 1 / (1 + g * (g + this.#k));
    const a2 = g * a1;
    this.#a1 = a1;
    this.#a2 = a2;
    this.#a3 = g * a2;
  }
}

/**
 * `s.reset(s.target)` without a double crossing a call: through the smoother's
 * snapshot (value, target) in `tmp`, so nothing is boxed even where V8 does
 * not inline the getter and the setter (see _scratch.ts).
 */
function settleSmoother(s: ParamSmoother, tmp: Float64Array): void {
  s.saveState(tmp, 0);
  tmp[0] = tmp[1] as number;
  s.loadState(tmp, 0);
}

/** resonanceToQ from svf_lowpass.ts without the check (NaN gives NaN); kept identical. */
function qOfResonance(resonance: number): number {
  const r = resonance < 0 ? 0 : resonance > 1 ? 1 : resonance;
  return r === 1 ? SVF_MAX_Q : SVF_MIN_Q * Math.pow(Q_RATIO, r);
}
