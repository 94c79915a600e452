/**
 * Parameter table of the minimal synth: one sine oscillator through a resonant
 * low-pass filter, shaped by an ADSR envelope, into a master gain.
 *
 * Parameters are addressed by number so that command structs stay fixed-size
 * and the engine needs no words; the REPL maps words to these ids.
 *
 * @module
 */

/** Numeric ids of the minimal synth's parameters. */
export const SynthParam = {
  /** Sine oscillator frequency in Hz. */
  SineFreq: 0,
  /** Sine oscillator gain, linear 0..1. */
  SineGain: 1,
  /** Low-pass filter cutoff in Hz. */
  FilterCutoff: 2,
  /** Low-pass filter resonance, 0 (none) .. 1 (near self-oscillation). */
  FilterResonance: 3,
  /** ADSR attack time in milliseconds. */
  AdsrAttack: 4,
  /** ADSR decay time in milliseconds. */
  AdsrDecay: 5,
  /** ADSR sustain level, linear 0..1. */
  AdsrSustain: 6,
  /** ADSR release time in milliseconds. */
  AdsrRelease: 7,
  /** ADSR gate: 1 opens (attack), 0 closes (release). */
  Gate: 8,
  /** Master gain, linear 0..1. */
  MasterGain: 9,
} as const;

/** A synth parameter id (a value of {@linkcode SynthParam}). */
export type SynthParamId = typeof SynthParam[keyof typeof SynthParam];

/** Range, default and unit of one synth parameter. */
export interface ParamSpec {
  /** The parameter id. */
  readonly id: SynthParamId;
  /** Smallest accepted value. */
  readonly min: number;
  /** Largest accepted value. */
  readonly max: number;
  /** Value at start-up. */
  readonly initial: number;
  /** Unit shown to users: "Hz", "ms" or "" for linear amounts. */
  readonly unit: "Hz" | "ms" | "";
  /** True when only whole values 0 or 1 are meaningful. */
  readonly toggle?: boolean;
}

/** Number of synth parameters; ids run from 0 to `PARAM_COUNT - 1`. */
export const PARAM_COUNT = 10;

/**
 * Specs of every synth parameter, indexed by id.
 *
 * @example
 * ```ts
 * import { PARAM_SPECS, SynthParam } from "./params.ts";
 * const cutoff = PARAM_SPECS[SynthParam.FilterCutoff];
 * console.log(cutoff?.min, cutoff?.max); // 20 20000
 * ```
 */
export const PARAM_SPECS: readonly ParamSpec[] = [
  { id: SynthParam.SineFreq, min: 20, max: 20000, initial: 440, unit: "Hz" },
  { id: SynthParam.SineGain, min: 0, max: 1, initial: 0.5, unit: "" },
  { id: SynthParam.FilterCutoff, min: 20, max: 20000, initial: 20000, unit: "Hz" },
  { id: SynthParam.FilterResonance, min: 0, max: 1, initial: 0, unit: "" },
  { id: SynthParam.AdsrAttack, min: 0, max: 10000, initial: 5, unit: "ms" },
  { id: SynthParam.AdsrDecay, min: 0, max: 10000, initial: 100, unit: "ms" },
  { id: SynthParam.AdsrSustain, min: 0, max: 1, initial: 0.8, unit: "" },
  { id: SynthParam.AdsrRelease, min: 0, max: 10000, initial: 200, unit: "ms" },
  { id: SynthParam.Gate, min: 0, max: 1, initial: 0, unit: "", toggle: true },
  { id: SynthParam.MasterGain, min: 0, max: 1, initial: 0.8, unit: "" },
];

/**
 * Clamp `value` into the range of parameter `id`; returns NaN for an unknown id.
 * NaN in gives NaN out, so callers can reject it.
 */
export function clampParam(id: number, value: number): number {
  const spec = PARAM_SPECS[id];
  if (spec === undefined) return NaN;
  return value < spec.min ? spec.min : value > spec.max ? spec.max : value;
}
