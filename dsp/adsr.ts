/**
 * Linear ADSR envelope with sample-exact segment timings.
 *
 * Timing contract (A, D, R in frames, from {@linkcode adsrSegmentFrames}; S the
 * sustain level):
 * - Gate opens at sample g with current level L0: the output at g+i for
 *   i in [0, A) is L0 + (1 - L0)·(i + 1)/A, exactly 1 at g+A-1 (A = 0 behaves
 *   as A = 1: the output is 1 at g).
 * - Decay: linear from 1 to S over D samples, exactly S at the last one; then
 *   the sustain level is held (glided with a one-pole smoother when S changes).
 * - Gate closes at sample r with current level Lr: linear to 0 over R samples,
 *   exactly 0 at r+R-1 (R = 0: 0 at r); then idle at 0.
 * - Opening the gate again, in any stage, restarts the attack from the
 *   current level, so there is no click.
 *
 * Segment lengths are latched when a segment starts: changing attack, decay or
 * release time affects the next segment of that kind, not the running one.
 *
 * @module
 */

import { checkSampleRate } from "./_checks.ts";
import { SCRATCH_FRAMES } from "./_scratch.ts";
import { DEFAULT_SMOOTHING_MS, ParamSmoother, SMOOTHER_STATE_SIZE } from "./smoother.ts";
import type { Frames, Hz, Milliseconds } from "./units.ts";

/**
 * Length in frames of an envelope segment of `ms` milliseconds at `rate` Hz:
 * `Math.round(ms * rate / 1000)`.
 *
 * @throws {RangeError} if `ms` is negative or not finite.
 *
 * @example
 * ```ts
 * import { adsrSegmentFrames } from "./adsr.ts";
 * adsrSegmentFrames(5, 48000); // 240
 * ```
 */
export function adsrSegmentFrames(ms: Milliseconds, rate: Hz): Frames {
  checkSampleRate(rate);
  if (!(ms >= 0 && ms < Infinity)) {
    throw new RangeError(`segment time must be a finite number of ms >= 0, got ${ms}`);
  }
  return Math.round((ms * rate) / 1000);
}

/** Stages of an {@linkcode Adsr}. */
export const AdsrStage = {
  /** Gate closed and release finished: output 0. */
  Idle: 0,
  /** Rising linearly to 1. */
  Attack: 1,
  /** Falling linearly from 1 to the sustain level. */
  Decay: 2,
  /** Holding the sustain level. */
  Sustain: 3,
  /** Falling linearly to 0 after the gate closed. */
  Release: 4,
} as const;

/** An ADSR stage (a value of {@linkcode AdsrStage}). */
export type AdsrStageId = typeof AdsrStage[keyof typeof AdsrStage];

/** Number of float64 slots used by {@linkcode Adsr.saveState}. */
export const ADSR_STATE_SIZE = 8 + SMOOTHER_STATE_SIZE;

/** Options of {@linkcode Adsr}. */
export interface AdsrOptions {
  /** Attack time in ms; default 5. */
  readonly attackMs?: Milliseconds;
  /** Decay time in ms; default 100. */
  readonly decayMs?: Milliseconds;
  /** Sustain level, linear 0..1; default 0.8. */
  readonly sustain?: number;
  /** Release time in ms; default 200. */
  readonly releaseMs?: Milliseconds;
  /** Smoothing time constant of sustain-level changes in ms; default 5. */
  readonly smoothingMs?: Milliseconds;
}

/**
 * Linear ADSR envelope generator, 0..1, see the module doc for the exact timing
 * contract. Setters and gate calls come from the control side between
 * sub-blocks; {@linkcode next} and {@linkcode process} from the render loop.
 *
 * @example
 * ```ts
 * import { Adsr } from "./adsr.ts";
 * const env = new Adsr(48000, { attackMs: 10, decayMs: 50, sustain: 0.5, releaseMs: 100 });
 * env.gateOn();
 * const levels = new Float64Array(128);
 * env.process(levels, 0, 128);
 * ```
 */
export class Adsr {
  /** Sample rate in Hz. */
  readonly sampleRate: Hz = 0;
  readonly #sustain: ParamSmoother;
  /** An AdsrStageId; any other value (only from a bad snapshot) outputs 0. */
  #stage: number = AdsrStage.Idle;
  /** Samples produced in the current segment. */
  #pos = 0;
  /** Length of the current segment in samples (>= 1). */
  #len = 1;
  /** Level at the start of the current attack or release. */
  #start = 0;
  #level = 0;
  #attackFrames = 0;
  #decayFrames = 0;
  #releaseFrames = 0;
  readonly #sustains = new Float64Array(SCRATCH_FRAMES);
  readonly #one = new Float64Array(1);

  /**
   * @param sampleRate sample rate in Hz.
   * @param options segment times and sustain level.
   * @throws {RangeError} for an out-of-range rate, time or sustain.
   */
  constructor(sampleRate: Hz, options: AdsrOptions = {}) {
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
    this.#sustain.reset(this.#sustain.target);
  }

  /** Current stage. */
  get stage(): AdsrStageId {
    const s = this.#stage;
    return s === 1 || s === 2 || s === 3 || s === 4 ? s : AdsrStage.Idle;
  }

  /** Last output level, 0..1. */
  get level(): number {
    return this.#level;
  }

  /** True when idle (gate closed, release finished, output 0). */
  get isIdle(): boolean {
    return this.stage === AdsrStage.Idle;
  }

  /** Current (smoothed) sustain level. */
  get sustain(): number {
    return this.#sustain.value;
  }

  /** Attack length in frames used by the next attack. */
  get attackFrames(): Frames {
    return this.#attackFrames;
  }

  /** Decay length in frames used by the next decay. */
  get decayFrames(): Frames {
    return this.#decayFrames;
  }

  /** Release length in frames used by the next release. */
  get releaseFrames(): Frames {
    return this.#releaseFrames;
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
   * Glide the sustain level to `level`, linear 0..1. Control side.
   * @throws {RangeError} if outside [0, 1] or not a number.
   */
  setSustain(level: number): void {
    if (!(level >= 0 && level <= 1)) {
      throw new RangeError(`sustain must be between 0 and 1, got ${level}`);
    }
    this.#sustain.setTarget(level);
  }

  /** Open the gate: (re)start the attack from the current level. Control side. */
  gateOn(): void {
    this.#start = this.#level;
    this.#stage = AdsrStage.Attack;
    this.#pos = 0;
    this.#len = this.#attackFrames > 0 ? this.#attackFrames : 1;
  }

  /** Close the gate: release from the current level (no-op when idle). Control side. */
  gateOff(): void {
    if (this.#stage === AdsrStage.Idle) return;
    this.#start = this.#level;
    this.#stage = AdsrStage.Release;
    this.#pos = 0;
    this.#len = this.#releaseFrames > 0 ? this.#releaseFrames : 1;
  }

  /** Go idle at level 0 at once, settling the sustain smoother. Control side. */
  reset(): void {
    this.#stage = AdsrStage.Idle;
    this.#pos = 0;
    this.#len = 1;
    this.#start = 0;
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
        const sustain = sustains[i] as number;
        switch (this.#stage) {
          case AdsrStage.Attack: {
            const pos = ++this.#pos;
            const len = this.#len;
            if (pos < len) {
              this.#level = 1 - ((1 - this.#start) * (len - pos)) / len;
            } else {
              this.#level = 1;
              this.#enterDecay();
            }
            break;
          }
          case AdsrStage.Decay: {
            const pos = ++this.#pos;
            const len = this.#len;
            if (pos < len) {
              this.#level = sustain + ((1 - sustain) * (len - pos)) / len;
            } else {
              this.#level = sustain;
              this.#stage = AdsrStage.Sustain;
            }
            break;
          }
          case AdsrStage.Sustain:
            this.#level = sustain;
            break;
          case AdsrStage.Release: {
            const pos = ++this.#pos;
            const len = this.#len;
            if (pos < len) {
              this.#level = (this.#start * (len - pos)) / len;
            } else {
              this.#level = 0;
              this.#stage = AdsrStage.Idle;
            }
            break;
          }
          default:
            this.#level = 0;
        }
        out[c + i] = this.#level;
      }
    }
  }

  /** Write the state to `dst` at `offset`; returns the offset after it. */
  saveState(dst: Float64Array, offset: number): number {
    dst[offset] = this.#stage;
    dst[offset + 1] = this.#pos;
    dst[offset + 2] = this.#len;
    dst[offset + 3] = this.#start;
    dst[offset + 4] = this.#level;
    dst[offset + 5] = this.#attackFrames;
    dst[offset + 6] = this.#decayFrames;
    dst[offset + 7] = this.#releaseFrames;
    return this.#sustain.saveState(dst, offset + 8);
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
    this.#start = src[offset + 3] ?? 0;
    this.#level = src[offset + 4] ?? 0;
    this.#attackFrames = src[offset + 5] ?? 0;
    this.#decayFrames = src[offset + 6] ?? 0;
    this.#releaseFrames = src[offset + 7] ?? 0;
    return this.#sustain.loadState(src, offset + 8);
  }

  #enterDecay(): void {
    this.#pos = 0;
    if (this.#decayFrames > 0) {
      this.#stage = AdsrStage.Decay;
      this.#len = this.#decayFrames;
    } else {
      this.#stage = AdsrStage.Sustain;
    }
  }
}
