/**
 * One-pole exponential parameter smoothing, used to glide every continuous
 * synth parameter so that control changes never click.
 *
 * @module
 */

import { checkFinite, checkSampleRate } from "./_checks.ts";
import type { Hz, Milliseconds } from "./units.ts";

/** Default smoothing time constant in milliseconds. */
export const DEFAULT_SMOOTHING_MS: Milliseconds = 5;

/**
 * Relative distance below which a smoother snaps onto its target: it settles
 * when `|target - value| < SMOOTHER_SNAP * max(|target|, 1)`.
 */
export const SMOOTHER_SNAP = 1e-9;

/** Number of float64 slots used by {@linkcode ParamSmoother.saveState}. */
export const SMOOTHER_STATE_SIZE = 2;

/**
 * Per-sample coefficient of a one-pole smoother with time constant `timeMs`
 * (milliseconds to cover 1 - 1/e of a step) at `sampleRate` Hz:
 * `1 - exp(-1 / (timeMs / 1000 * sampleRate))`. A time of 0 gives 1 (no
 * smoothing: the value jumps to the target).
 *
 * @throws {RangeError} if `timeMs` is negative or not finite, or the sample
 * rate is out of range.
 *
 * @example
 * ```ts
 * import { smootherCoefficient } from "./smoother.ts";
 * const c = smootherCoefficient(5, 48000); // ≈ 0.004158
 * ```
 */
export function smootherCoefficient(timeMs: Milliseconds, sampleRate: Hz): number {
  checkSampleRate(sampleRate);
  if (!(timeMs >= 0 && timeMs < Infinity)) {
    throw new RangeError(`smoothing time must be a finite number of ms >= 0, got ${timeMs}`);
  }
  if (timeMs === 0) return 1;
  return 1 - Math.exp(-1000 / (timeMs * sampleRate));
}

/** Options of {@linkcode ParamSmoother}. */
export interface ParamSmootherOptions {
  /** Time constant in ms; default {@linkcode DEFAULT_SMOOTHING_MS}; 0 disables smoothing. */
  readonly timeMs?: Milliseconds;
  /** Starting value and target; default 0. */
  readonly initial?: number;
}

/**
 * One-pole (exponential) smoother toward a target value. Each {@linkcode next}
 * moves the value a fixed fraction of the remaining distance and snaps onto
 * the target once within {@linkcode SMOOTHER_SNAP} (relative), so a settled
 * smoother returns exactly its target, bit-stable.
 *
 * Setters are called by the control side between sub-blocks; `next` by the
 * render loop. Neither allocates.
 *
 * @example
 * ```ts
 * import { ParamSmoother } from "./smoother.ts";
 * const s = new ParamSmoother(48000, { timeMs: 5, initial: 0 });
 * s.setTarget(1);
 * const first = s.next(); // ≈ 0.00416, then gliding toward 1
 * ```
 */
export class ParamSmoother {
  /** Per-sample coefficient, see {@linkcode smootherCoefficient}. */
  readonly coefficient: number = 1;
  // Numeric fields get numeric initialisers: a field that starts out undefined
  // becomes "tagged" in V8 and then every double stored into it allocates.
  #value = 0;
  #target = 0;

  /**
   * @param sampleRate sample rate in Hz.
   * @param options time constant and initial value.
   * @throws {RangeError} for an out-of-range rate or time, or a non-finite initial value.
   */
  constructor(sampleRate: Hz, options: ParamSmootherOptions = {}) {
    this.coefficient = smootherCoefficient(options.timeMs ?? DEFAULT_SMOOTHING_MS, sampleRate);
    const initial = options.initial ?? 0;
    checkFinite("initial value", initial);
    this.#value = initial;
    this.#target = initial;
  }

  /** Current (smoothed) value. */
  get value(): number {
    return this.#value;
  }

  /** Value being glided toward. */
  get target(): number {
    return this.#target;
  }

  /** True when the value has reached the target exactly. */
  get isSettled(): boolean {
    return this.#value === this.#target;
  }

  /**
   * Glide toward `target` from the current value. Control side.
   * @throws {RangeError} if `target` is not finite.
   */
  setTarget(target: number): void {
    checkFinite("smoother target", target);
    this.#target = target;
  }

  /**
   * Jump: set both value and target to `value`. Control side.
   * @throws {RangeError} if `value` is not finite.
   */
  reset(value: number): void {
    checkFinite("smoother value", value);
    this.#value = value;
    this.#target = value;
  }

  /**
   * Advance one sample and return the new value. For control-rate use and
   * tests; render loops use {@linkcode fill}.
   */
  next(): number {
    const t = this.#target;
    const v = this.#value;
    if (v === t) return v;
    let n = v + this.coefficient * (t - v);
    const d = t - n;
    if (n === v || (d < 0 ? -d : d) < SMOOTHER_SNAP * Math.max(t < 0 ? -t : t, 1)) n = t;
    this.#value = n;
    return n;
  }

  /**
   * Advance `end - start` samples, writing each new value to `out[start..end)`
   * (the same values as that many {@linkcode next} calls). Render loop.
   */
  fill(out: Float64Array, start: number, end: number): void {
    const t = this.#target;
    let v = this.#value;
    if (v === t) {
      for (let i = start; i < end; i++) out[i] = v;
      return;
    }
    const c = this.coefficient;
    const snap = SMOOTHER_SNAP * Math.max(t < 0 ? -t : t, 1);
    for (let i = start; i < end; i++) {
      if (v !== t) {
        let n = v + c * (t - v);
        const d = t - n;
        if (n === v || (d < 0 ? -d : d) < snap) n = t;
        v = n;
      }
      out[i] = v;
    }
    this.#value = v;
  }

  /**
   * Write value and target to `dst` at `offset`; returns the offset after them
   * ({@linkcode SMOOTHER_STATE_SIZE} slots).
   */
  saveState(dst: Float64Array, offset: number): number {
    dst[offset] = this.#value;
    dst[offset + 1] = this.#target;
    return offset + SMOOTHER_STATE_SIZE;
  }

  /**
   * Read value and target written by {@linkcode saveState}; returns the offset
   * after them. Values are not checked: the owner guards against non-finite state.
   */
  loadState(src: Float64Array, offset: number): number {
    this.#value = src[offset] ?? 0;
    this.#target = src[offset + 1] ?? 0;
    return offset + SMOOTHER_STATE_SIZE;
  }
}
