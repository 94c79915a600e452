/**
 * ADSR / AR envelope with a linear or exponential curve per segment,
 * retrigger from the current level, legato and velocity scaling.
 *
 * Timing contract (A, D, R in frames from {@linkcode adsrSegmentFrames}; P the
 * peak, 1 − sensitivity·(1 − velocity); S the sustain level; f the segment's
 * curve, see {@linkcode envelopeCurve}):
 * - A gate opening at sample g with current level L0 starts the attack: the
 *   output at g+i for i in [0, A) is L0 + (P − L0)·f((i + 1)/A), exactly P at
 *   g+A−1 (A = 0 behaves as A = 1: P at g).
 * - Decay: S·P + (P − S·P)·(1 − f((j + 1)/D)) for j in [0, D), exactly S·P at
 *   the last one; then S·P is held (glided with a one-pole smoother when S
 *   changes). D = 0: S·P right after the peak.
 * - A gate closing at sample r with current level Lr starts the release:
 *   Lr·(1 − f((j + 1)/R)), exactly 0 at r+R−1 (R = 0: 0 at r); then idle.
 * - AR mode is a trigger envelope: the release follows the attack at once
 *   (from P, starting at g+A) and closing the gate does nothing.
 * - Opening the gate again restarts the attack from the current level, so
 *   there is no click; with legato on, opening it while it is already open
 *   does nothing.
 *
 * Segment lengths and curves are latched when a segment starts: changing
 * them affects the next segment of that kind, not the running one.
 *
 * @module
 */

import { checkSampleRate } from "./_checks.ts";
import { SCRATCH_FRAMES } from "./_scratch.ts";
import { adsrSegmentFrames, AdsrStage, type AdsrStageId } from "./adsr.ts";
import { DEFAULT_SMOOTHING_MS, ParamSmoother, SMOOTHER_STATE_SIZE } from "./smoother.ts";
import type { Hz, Milliseconds } from "./units.ts";

/** Segment curves of an {@linkcode Envelope}. */
export const EnvelopeCurve = {
  /** Straight line: f(t) = t. */
  Linear: 0,
  /** Normalised exponential (RC-like, fast first): f(t) = (1 − e^(−c·t)) / (1 − e^(−c)). */
  Exponential: 1,
} as const;

/** A segment curve (a value of {@linkcode EnvelopeCurve}). */
export type EnvelopeCurveId = typeof EnvelopeCurve[keyof typeof EnvelopeCurve];

/** Modes of an {@linkcode Envelope}. */
export const EnvelopeMode = {
  /** Attack, decay, sustain while the gate is open, release when it closes. */
  Adsr: 0,
  /** Trigger envelope: attack, then release at once; the gate's closing is ignored. */
  Ar: 1,
} as const;

/** An envelope mode (a value of {@linkcode EnvelopeMode}). */
export type EnvelopeModeId = typeof EnvelopeMode[keyof typeof EnvelopeMode];

/**
 * Curvature c of {@linkcode EnvelopeCurve.Exponential}: the curve is an RC
 * charge or discharge over c time constants, rescaled to end exactly on its
 * target. Halfway through a segment it has covered 92 % of it.
 */
export const ENVELOPE_CURVATURE = 5;

/** 1 / (1 − e^(−c)). */
const EXP_NORM = 1 / (1 - Math.exp(-ENVELOPE_CURVATURE));

/** Number of float64 slots used by {@linkcode Envelope.saveState}. */
export const ENVELOPE_STATE_SIZE = 17 + SMOOTHER_STATE_SIZE;

function checkCurve(curve: number): void {
  if (!(curve === 0 || curve === 1)) {
    throw new RangeError(`envelope curve must be 0 or 1 (an EnvelopeCurve), got ${curve}`);
  }
}

function checkUnit(what: string, value: number): void {
  if (!(value >= 0 && value <= 1)) {
    throw new RangeError(`${what} must be between 0 and 1, got ${value}`);
  }
}

/**
 * Fraction f(t) of a segment covered at `t` in [0, 1] (its position
 * (i + 1)/length) for `curve`: linear t, or the normalised exponential
 * (1 − e^(−c·t)) / (1 − e^(−c)) with c = {@linkcode ENVELOPE_CURVATURE}.
 * f(0) = 0 and f(1) = 1 (the envelope sets segment ends exactly).
 *
 * @throws {RangeError} for an unknown curve.
 *
 * @example
 * ```ts
 * import { envelopeCurve, EnvelopeCurve } from "./envelope.ts";
 * envelopeCurve(EnvelopeCurve.Linear, 0.5); // 0.5
 * envelopeCurve(EnvelopeCurve.Exponential, 0.5); // ≈ 0.924
 * ```
 */
export function envelopeCurve(curve: EnvelopeCurveId, t: number): number {
  checkCurve(curve);
  return curve === EnvelopeCurve.Linear ? t : (1 - Math.exp(-ENVELOPE_CURVATURE * t)) * EXP_NORM;
}

/** Options of {@linkcode Envelope}. */
export interface EnvelopeOptions {
  /** Attack time in ms; default 5. */
  readonly attackMs?: Milliseconds;
  /** Decay time in ms; default 100. */
  readonly decayMs?: Milliseconds;
  /** Sustain level, 0..1 of the peak; default 0.8. */
  readonly sustain?: number;
  /** Release time in ms; default 200. */
  readonly releaseMs?: Milliseconds;
  /** Attack curve; default {@linkcode EnvelopeCurve.Linear}. */
  readonly attackCurve?: EnvelopeCurveId;
  /** Decay curve; default {@linkcode EnvelopeCurve.Exponential}. */
  readonly decayCurve?: EnvelopeCurveId;
  /** Release curve; default {@linkcode EnvelopeCurve.Exponential}. */
  readonly releaseCurve?: EnvelopeCurveId;
  /** Mode; default {@linkcode EnvelopeMode.Adsr}. */
  readonly mode?: EnvelopeModeId;
  /** A gate opening while already open does not retrigger; default false. */
  readonly legato?: boolean;
  /** How much velocity scales the peak, 0 (not at all) .. 1 (peak = velocity); default 0. */
  readonly velocitySensitivity?: number;
  /** Smoothing time constant of sustain-level changes in ms; default 5. */
  readonly smoothingMs?: Milliseconds;
}

/**
 * ADSR or AR envelope generator, 0..1, with per-segment curves, see the
 * module doc for the exact timing contract. Setters and gate calls come from
 * the control side between sub-blocks; {@linkcode process} from the render
 * loop, where it neither allocates nor throws.
 *
 * @example
 * ```ts
 * import { Envelope, EnvelopeCurve } from "./envelope.ts";
 * const env = new Envelope(48000, {
 *   attackMs: 2,
 *   decayMs: 300,
 *   sustain: 0.4,
 *   releaseMs: 500,
 *   releaseCurve: EnvelopeCurve.Exponential,
 *   velocitySensitivity: 1,
 * });
 * env.gateOn(0.8); // peak 0.8
 * const levels = new Float64Array(128);
 * env.process(levels, 0, 128);
 * ```
 */
export class Envelope {
  /** Sample rate in Hz. */
  readonly sampleRate: Hz = 0;
  /** Float64 slots needed by {@linkcode saveState} ({@linkcode ENVELOPE_STATE_SIZE}). */
  readonly stateSize: number = ENVELOPE_STATE_SIZE;
  readonly #sustain: ParamSmoother;
  /** An AdsrStageId; any other value (only from a bad snapshot) outputs 0. */
  #stage: number = AdsrStage.Idle;
  /** Samples produced in the current segment. */
  #pos = 0;
  /** Length of the current segment in samples (>= 1). */
  #len = 1;
  /** Curve of the current segment. */
  #curve: number = EnvelopeCurve.Linear;
  /** Level at the start of the current attack or release. */
  #from = 0;
  #level = 0;
  #peak = 1;
  /** 1 while the gate is open. */
  #gate = 0;
  #attackFrames = 0;
  #decayFrames = 0;
  #releaseFrames = 0;
  #attackCurve: number = EnvelopeCurve.Linear;
  #decayCurve: number = EnvelopeCurve.Exponential;
  #releaseCurve: number = EnvelopeCurve.Exponential;
  #mode: number = EnvelopeMode.Adsr;
  #legato = 0;
  #sensitivity = 0;
  readonly #sustains = new Float64Array(SCRATCH_FRAMES);
  readonly #one = new Float64Array(1);

  /**
   * @param sampleRate sample rate in Hz.
   * @param options segment times, curves, sustain level, mode, legato and velocity sensitivity.
   * @throws {RangeError} for an out-of-range rate, time, level, curve or mode.
   */
  constructor(sampleRate: Hz, options: EnvelopeOptions = {}) {
    checkSampleRate(sampleRate);
    this.sampleRate = sampleRate;
    this.#sustain = new ParamSmoother(sampleRate, {
      timeMs: options.smoothingMs ?? DEFAULT_SMOOTHING_MS,
      initial: 0,
    });
    this.setAttack(options.attackMs ?? 5);
    this.setDecay(options.decayMs ?? 100);
    this.setRelease(options.releaseMs ?? 200);
    this.setSustain(options.sustain ?? 0.8);
    this.setAttackCurve(options.attackCurve ?? EnvelopeCurve.Linear);
    this.setDecayCurve(options.decayCurve ?? EnvelopeCurve.Exponential);
    this.setReleaseCurve(options.releaseCurve ?? EnvelopeCurve.Exponential);
    this.setMode(options.mode ?? EnvelopeMode.Adsr);
    this.setLegato(options.legato ?? false);
    this.setVelocitySensitivity(options.velocitySensitivity ?? 0);
    this.#sustain.reset(this.#sustain.target);
  }

  /** Current stage (AR mode uses Attack, Release and Idle). */
  get stage(): AdsrStageId {
    const s = this.#stage;
    return s === 1 || s === 2 || s === 3 || s === 4 ? s : AdsrStage.Idle;
  }

  /** Last output level, 0..1. */
  get level(): number {
    return this.#level;
  }

  /** Peak of the current note, from its velocity, 0..1. */
  get peak(): number {
    return this.#peak;
  }

  /** True while the gate is open (between {@linkcode gateOn} and {@linkcode gateOff}). */
  get gate(): boolean {
    return this.#gate === 1;
  }

  /** True when idle (output 0 until the next gate). */
  get isIdle(): boolean {
    return this.stage === AdsrStage.Idle;
  }

  /** Current mode. */
  get mode(): EnvelopeModeId {
    return this.#mode === 1 ? EnvelopeMode.Ar : EnvelopeMode.Adsr;
  }

  /** Current (smoothed) sustain level, 0..1 of the peak. */
  get sustain(): number {
    return this.#sustain.value;
  }

  /**
   * Set the attack time in ms. Control side.
   * @throws {RangeError} if negative or not finite.
   */
  setAttack(ms: Milliseconds): void {
    this.#attackFrames = adsrSegmentFrames(ms, this.sampleRate);
  }

  /**
   * Set the decay time in ms. Control side.
   * @throws {RangeError} if negative or not finite.
   */
  setDecay(ms: Milliseconds): void {
    this.#decayFrames = adsrSegmentFrames(ms, this.sampleRate);
  }

  /**
   * Set the release time in ms. Control side.
   * @throws {RangeError} if negative or not finite.
   */
  setRelease(ms: Milliseconds): void {
    this.#releaseFrames = adsrSegmentFrames(ms, this.sampleRate);
  }

  /**
   * Glide the sustain level to `level`, 0..1 of the peak. Control side.
   * @throws {RangeError} if outside [0, 1] or not a number.
   */
  setSustain(level: number): void {
    checkUnit("sustain", level);
    this.#sustain.setTarget(level);
  }

  /**
   * Set the attack curve. Control side.
   * @throws {RangeError} for a value that is not an {@linkcode EnvelopeCurve}.
   */
  setAttackCurve(curve: EnvelopeCurveId): void {
    checkCurve(curve);
    this.#attackCurve = curve;
  }

  /**
   * Set the decay curve. Control side.
   * @throws {RangeError} for a value that is not an {@linkcode EnvelopeCurve}.
   */
  setDecayCurve(curve: EnvelopeCurveId): void {
    checkCurve(curve);
    this.#decayCurve = curve;
  }

  /**
   * Set the release curve. Control side.
   * @throws {RangeError} for a value that is not an {@linkcode EnvelopeCurve}.
   */
  setReleaseCurve(curve: EnvelopeCurveId): void {
    checkCurve(curve);
    this.#releaseCurve = curve;
  }

  /**
   * Set the mode; a running segment finishes as it started. Control side.
   * @throws {RangeError} for a value that is not an {@linkcode EnvelopeMode}.
   */
  setMode(mode: EnvelopeModeId): void {
    if (!(mode === 0 || mode === 1)) {
      throw new RangeError(`envelope mode must be 0 or 1 (an EnvelopeMode), got ${mode}`);
    }
    this.#mode = mode;
  }

  /** Turn legato on or off. Control side. */
  setLegato(on: boolean): void {
    this.#legato = on ? 1 : 0;
  }

  /**
   * Set how much velocity scales the peak: peak = 1 − amount·(1 − velocity). Control side.
   * @throws {RangeError} if outside [0, 1] or not a number.
   */
  setVelocitySensitivity(amount: number): void {
    checkUnit("velocity sensitivity", amount);
    this.#sensitivity = amount;
  }

  /**
   * Open the gate with `velocity` (clamped to 0..1): restart the attack from
   * the current level toward the velocity-scaled peak, unless legato is on
   * and the gate is already open. Control side.
   * @throws {RangeError} if `velocity` is NaN.
   */
  gateOn(velocity = 1): void {
    if (Number.isNaN(velocity)) throw new RangeError("velocity must be between 0 and 1, got NaN");
    if (this.#legato === 1 && this.#gate === 1) return;
    const v = velocity < 0 ? 0 : velocity > 1 ? 1 : velocity;
    this.#gate = 1;
    this.#peak = 1 - this.#sensitivity * (1 - v);
    this.#from = this.#level;
    this.#stage = AdsrStage.Attack;
    this.#pos = 0;
    this.#len = this.#attackFrames > 0 ? this.#attackFrames : 1;
    this.#curve = this.#attackCurve;
  }

  /**
   * Close the gate: in ADSR mode, release from the current level (no-op when
   * idle); in AR mode only the gate flag changes. Control side.
   */
  gateOff(): void {
    this.#gate = 0;
    if (this.#stage === AdsrStage.Idle || this.#mode === EnvelopeMode.Ar) return;
    this.#enterRelease();
  }

  /** Go idle at level 0 with the gate closed, settling the sustain smoother. Control side. */
  reset(): void {
    this.#stage = AdsrStage.Idle;
    this.#gate = 0;
    this.#pos = 0;
    this.#len = 1;
    this.#from = 0;
    this.#level = 0;
    this.#sustain.reset(this.#sustain.target);
  }

  /** Produce one level, 0..1 (a one-frame {@linkcode process}). For tests and control rate. */
  next(): number {
    this.process(this.#one, 0, 1);
    return this.#one[0] as number;
  }

  /** Write levels to `out[start..end)`. Render loop; allocates nothing. */
  process(out: Float64Array, start: number, end: number): void {
    const sustains = this.#sustains;
    for (let c = start; c < end; c += SCRATCH_FRAMES) {
      const n = end - c < SCRATCH_FRAMES ? end - c : SCRATCH_FRAMES;
      this.#sustain.fill(sustains, 0, n);
      for (let i = 0; i < n; i++) {
        const stage = this.#stage;
        let level = 0;
        if (
          stage === AdsrStage.Attack || stage === AdsrStage.Decay || stage === AdsrStage.Release
        ) {
          const pos = ++this.#pos;
          const len = this.#len;
          const t = pos / len;
          // envelopeCurve(curve, t), written out: see _scratch.ts.
          const f = this.#curve === EnvelopeCurve.Linear
            ? t
            : (1 - Math.exp(-ENVELOPE_CURVATURE * t)) * EXP_NORM;
          const peak = this.#peak;
          if (stage === AdsrStage.Attack) {
            if (pos < len) {
              level = this.#from + (peak - this.#from) * f;
            } else {
              level = peak;
              this.#level = peak; // the release starts from here
              if (this.#mode === EnvelopeMode.Ar) this.#enterRelease();
              else this.#enterDecay();
            }
          } else if (stage === AdsrStage.Decay) {
            const s = (sustains[i] as number) * peak;
            if (pos < len) {
              level = s + (peak - s) * (1 - f);
            } else {
              level = s;
              this.#stage = AdsrStage.Sustain;
            }
          } else if (pos < len) {
            level = this.#from * (1 - f);
          } else {
            this.#stage = AdsrStage.Idle;
          }
        } else if (stage === AdsrStage.Sustain) {
          level = (sustains[i] as number) * this.#peak;
        }
        this.#level = level;
        out[c + i] = level;
      }
    }
  }

  /** Write the state to `dst` at `offset`; returns the offset after it. */
  saveState(dst: Float64Array, offset: number): number {
    dst[offset] = this.#stage;
    dst[offset + 1] = this.#pos;
    dst[offset + 2] = this.#len;
    dst[offset + 3] = this.#curve;
    dst[offset + 4] = this.#from;
    dst[offset + 5] = this.#level;
    dst[offset + 6] = this.#peak;
    dst[offset + 7] = this.#gate;
    dst[offset + 8] = this.#attackFrames;
    dst[offset + 9] = this.#decayFrames;
    dst[offset + 10] = this.#releaseFrames;
    dst[offset + 11] = this.#attackCurve;
    dst[offset + 12] = this.#decayCurve;
    dst[offset + 13] = this.#releaseCurve;
    dst[offset + 14] = this.#mode;
    dst[offset + 15] = this.#legato;
    dst[offset + 16] = this.#sensitivity;
    return this.#sustain.saveState(dst, offset + 17);
  }

  /**
   * Read the state written by {@linkcode saveState}; returns the offset after
   * it. Values are not checked (the owner guards against non-finite state);
   * an unknown stage outputs 0 until the next gate change.
   */
  loadState(src: Float64Array, offset: number): number {
    this.#stage = src[offset] ?? 0;
    this.#pos = src[offset + 1] ?? 0;
    this.#len = src[offset + 2] ?? 1;
    this.#curve = src[offset + 3] ?? 0;
    this.#from = src[offset + 4] ?? 0;
    this.#level = src[offset + 5] ?? 0;
    this.#peak = src[offset + 6] ?? 1;
    this.#gate = src[offset + 7] === 1 ? 1 : 0;
    this.#attackFrames = src[offset + 8] ?? 0;
    this.#decayFrames = src[offset + 9] ?? 0;
    this.#releaseFrames = src[offset + 10] ?? 0;
    this.#attackCurve = src[offset + 11] === 1 ? 1 : 0;
    this.#decayCurve = src[offset + 12] === 1 ? 1 : 0;
    this.#releaseCurve = src[offset + 13] === 1 ? 1 : 0;
    this.#mode = src[offset + 14] === 1 ? 1 : 0;
    this.#legato = src[offset + 15] === 1 ? 1 : 0;
    this.#sensitivity = src[offset + 16] ?? 0;
    return this.#sustain.loadState(src, offset + 17);
  }

  #enterDecay(): void {
    this.#pos = 0;
    if (this.#decayFrames > 0) {
      this.#stage = AdsrStage.Decay;
      this.#len = this.#decayFrames;
      this.#curve = this.#decayCurve;
    } else {
      this.#stage = AdsrStage.Sustain;
    }
  }

  #enterRelease(): void {
    this.#from = this.#level;
    this.#stage = AdsrStage.Release;
    this.#pos = 0;
    this.#len = this.#releaseFrames > 0 ? this.#releaseFrames : 1;
    this.#curve = this.#releaseCurve;
  }
}
