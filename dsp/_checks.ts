/**
 * Argument checks shared by the DSP modules. They run on the control side
 * (constructors and setters), never inside a render loop.
 *
 * @module
 */

import type { Hz } from "./units.ts";

/** Lowest sample rate the DSP modules accept, in Hz. */
export const MIN_SAMPLE_RATE: Hz = 1000;
/** Highest sample rate the DSP modules accept, in Hz. */
export const MAX_SAMPLE_RATE: Hz = 1_000_000;

/**
 * Throw a `RangeError` unless `rate` is a sample rate between
 * {@linkcode MIN_SAMPLE_RATE} and {@linkcode MAX_SAMPLE_RATE} Hz.
 */
export function checkSampleRate(rate: Hz): void {
  if (!(rate >= MIN_SAMPLE_RATE && rate <= MAX_SAMPLE_RATE)) {
    throw new RangeError(
      `sample rate must be between ${MIN_SAMPLE_RATE} and ${MAX_SAMPLE_RATE} Hz, got ${rate}`,
    );
  }
}

/** Throw a `RangeError` unless `value` is a finite number; `what` names it. */
export function checkFinite(what: string, value: number): void {
  if (!Number.isFinite(value)) {
    throw new RangeError(`${what} must be a finite number, got ${value}`);
  }
}
