/**
 * Test helpers for offline audio analysis: windowed magnitude spectra (FFT
 * from npm `fft.js`, 4-term Blackman-Harris window), interpolated peak
 * frequency, relative levels in dB, RMS and silence checks.
 *
 * @module
 */

import FFT from "fft.js";
import type { Decibels, Hz } from "../dsp/units.ts";

/** The part of fft.js used here, typed (its own typings use `any`). */
interface RealFft {
  realTransform(out: Float64Array, data: Float64Array): void;
}

/** Half-width of the 4-term Blackman-Harris main lobe, in bins. */
export const BH_MAIN_LOBE_BINS = 4;

/** A one-sided magnitude spectrum with its bin spacing. */
export interface Spectrum {
  /** Linear magnitudes of bins 0..size/2, scaled so a sine of amplitude a peaks near a. */
  readonly magnitudes: Float64Array;
  /** Bin spacing in Hz (sample rate / FFT size). */
  readonly binHz: Hz;
}

/** Options of {@linkcode magnitudeSpectrum}. */
export interface SpectrumOptions {
  /** First sample analysed; default 0. */
  readonly start?: number;
  /** FFT size, a power of two; default the largest power of two that fits. */
  readonly size?: number;
  /** Sample rate in Hz; default 48000. */
  readonly sampleRate?: Hz;
}

/** 4-term Blackman-Harris window of `n` points (periodic form). */
export function blackmanHarris(n: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = (2 * Math.PI * i) / n;
    w[i] = 0.35875 - 0.48829 * Math.cos(x) + 0.14128 * Math.cos(2 * x) -
      0.01168 * Math.cos(3 * x);
  }
  return w;
}

/**
 * Magnitude spectrum of `signal` (a window of `size` samples from `start`)
 * with a Blackman-Harris window.
 * @throws {RangeError} if the size is not a power of two >= 16 or the signal is too short.
 */
export function magnitudeSpectrum(
  signal: ArrayLike<number>,
  options: SpectrumOptions = {},
): Spectrum {
  const start = options.start ?? 0;
  const rate = options.sampleRate ?? 48000;
  let size = options.size ?? 0;
  if (size === 0) {
    size = 16;
    while (size * 2 <= signal.length - start) size *= 2;
  }
  if (size < 16 || (size & (size - 1)) !== 0) {
    throw new RangeError(`FFT size must be a power of two >= 16, got ${size}`);
  }
  if (start < 0 || start + size > signal.length) {
    throw new RangeError(`signal must hold ${start + size} samples, got ${signal.length}`);
  }
  const window = blackmanHarris(size);
  let windowSum = 0;
  const data = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    const w = window[i] as number;
    windowSum += w;
    data[i] = (signal[start + i] as number) * w;
  }
  const complex = new Float64Array(2 * size);
  (new FFT(size) as unknown as RealFft).realTransform(complex, data);
  const magnitudes = new Float64Array(size / 2 + 1);
  const scale = 2 / windowSum;
  for (let k = 0; k <= size / 2; k++) {
    const re = complex[2 * k] as number;
    const im = complex[2 * k + 1] as number;
    magnitudes[k] = Math.hypot(re, im) * scale;
  }
  return { magnitudes, binHz: rate / size };
}

/** Index of the largest magnitude in bins [from, to). */
function argMax(m: Float64Array, from: number, to: number): number {
  let best = from;
  for (let k = from; k < to; k++) if ((m[k] as number) > (m[best] as number)) best = k;
  return best;
}

/** Options of {@linkcode peakFrequency}. */
export interface PeakOptions {
  /** Lowest frequency searched in Hz; default 1 bin. */
  readonly minHz?: Hz;
  /** Highest frequency searched in Hz; default Nyquist. */
  readonly maxHz?: Hz;
}

/**
 * Frequency in Hz of the largest peak, refined by a parabola through the
 * log-magnitudes of the peak bin and its neighbours (Gaussian interpolation).
 */
export function peakFrequency(spectrum: Spectrum, options: PeakOptions = {}): Hz {
  const m = spectrum.magnitudes;
  const from = Math.max(1, Math.floor((options.minHz ?? 0) / spectrum.binHz));
  const to = Math.min(m.length - 1, Math.ceil((options.maxHz ?? Infinity) / spectrum.binHz));
  const k = argMax(m, from, to);
  const a = Math.log((m[k - 1] as number) + 1e-300);
  const b = Math.log((m[k] as number) + 1e-300);
  const c = Math.log((m[k + 1] as number) + 1e-300);
  const denom = a - 2 * b + c;
  const delta = denom === 0 ? 0 : (0.5 * (a - c)) / denom;
  return (k + delta) * spectrum.binHz;
}

/** Largest magnitude in the spectrum. */
export function peakMagnitude(spectrum: Spectrum): number {
  const m = spectrum.magnitudes;
  return m[argMax(m, 0, m.length)] as number;
}

/**
 * Level in dB, relative to the spectrum's peak, of the strongest bin within a
 * main-lobe half-width ({@linkcode BH_MAIN_LOBE_BINS}) of `freqHz`.
 */
export function levelDb(spectrum: Spectrum, freqHz: Hz): Decibels {
  const m = spectrum.magnitudes;
  const centre = Math.round(freqHz / spectrum.binHz);
  const from = Math.max(0, centre - BH_MAIN_LOBE_BINS);
  const to = Math.min(m.length, centre + BH_MAIN_LOBE_BINS + 1);
  const level = m[argMax(m, from, to)] as number;
  return gainToDb(level / peakMagnitude(spectrum));
}

/** Linear amplitude ratio to dB (0 gives -Infinity). */
export function gainToDb(gain: number): Decibels {
  return 20 * Math.log10(gain);
}

/** dB to linear amplitude ratio. */
export function dbToGain(db: Decibels): number {
  return Math.pow(10, db / 20);
}

/** Root mean square of `signal[start..end)`; 0 for an empty range. */
export function rms(signal: ArrayLike<number>, start = 0, end = signal.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) {
    const x = signal[i] as number;
    sum += x * x;
  }
  return end > start ? Math.sqrt(sum / (end - start)) : 0;
}

/** Largest absolute value in `signal[start..end)`. */
export function maxAbs(signal: ArrayLike<number>, start = 0, end = signal.length): number {
  let max = 0;
  for (let i = start; i < end; i++) max = Math.max(max, Math.abs(signal[i] as number));
  return max;
}

/** Options of {@linkcode isSilent}. */
export interface SilenceOptions {
  /** First sample checked; default 0. */
  readonly start?: number;
  /** End of the checked range (exclusive); default the signal length. */
  readonly end?: number;
  /** Largest absolute sample value still counted as silence, in dBFS; default -Infinity (exact zeros). */
  readonly thresholdDb?: Decibels;
}

/** True when every sample in the range is finite and at most the threshold in magnitude. */
export function isSilent(signal: ArrayLike<number>, options: SilenceOptions = {}): boolean {
  const limit = dbToGain(options.thresholdDb ?? -Infinity);
  const end = options.end ?? signal.length;
  for (let i = options.start ?? 0; i < end; i++) {
    const x = signal[i] as number;
    if (!(Math.abs(x) <= limit)) return false;
  }
  return true;
}

/** Channel `channel` of an interleaved buffer with `channels` channels. */
export function deinterleave(
  interleaved: ArrayLike<number>,
  channel: number,
  channels = 2,
): Float64Array {
  const n = Math.floor(interleaved.length / channels);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = interleaved[i * channels + channel] as number;
  return out;
}

/**
 * Amplitude of the component at `freqHz` in `signal[start..start+length)`:
 * a Hann-windowed single-bin DFT, normalised so a sine of amplitude a gives a.
 */
export function toneAmplitude(
  signal: ArrayLike<number>,
  freqHz: Hz,
  options: { start: number; length: number; sampleRate: Hz },
): number {
  const { start, length, sampleRate } = options;
  const w = (2 * Math.PI * freqHz) / sampleRate;
  let re = 0;
  let im = 0;
  let wsum = 0;
  for (let i = 0; i < length; i++) {
    const win = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / length);
    const x = (signal[start + i] as number) * win;
    re += x * Math.cos(w * i);
    im -= x * Math.sin(w * i);
    wsum += win;
  }
  return (2 * Math.hypot(re, im)) / wsum;
}

/** Options of {@linkcode onsets}. */
export interface OnsetOptions {
  /** Level a sample must exceed to be loud; default 1e-3 (-60 dBFS). */
  readonly threshold?: number;
  /** Quiet samples needed before a loud one for it to start a new onset; default 2000. */
  readonly quiet?: number;
}

/**
 * Onsets of separate sounds in `signal`: indices of the first loud sample
 * after at least `quiet` quiet ones (the signal's start counts as quiet).
 *
 * @example
 * ```ts ignore
 * onsets(left, { threshold: 3e-3, quiet: 4000 }); // [12, 24012, …]
 * ```
 */
export function onsets(signal: ArrayLike<number>, options: OnsetOptions = {}): number[] {
  const threshold = options.threshold ?? 1e-3;
  const quiet = options.quiet ?? 2000;
  const out: number[] = [];
  let run = quiet;
  for (let i = 0; i < signal.length; i++) {
    const loud = Math.abs(signal[i] as number) > threshold;
    if (loud && run >= quiet) out.push(i);
    run = loud ? 0 : run + 1;
  }
  return out;
}

/** Magnitude near `freq`: the largest bin within ±`bins` of it (default 2). */
export function magnitudeNear(spectrum: Spectrum, freq: Hz, bins = 2): number {
  const k = Math.round(freq / spectrum.binHz);
  let best = 0;
  for (let j = k - bins; j <= k + bins; j++) best = Math.max(best, spectrum.magnitudes[j] ?? 0);
  return best;
}

/**
 * Level in dB, relative to the magnitude near `fundamental` (±`bins`), of the
 * strongest bin that is not within 8 bins of a multiple of `base` (DC
 * included): the worst alias or spur.
 */
export function worstNonHarmonicDb(
  spectrum: Spectrum,
  fundamental: Hz,
  base: Hz,
  bins = 2,
): Decibels {
  const m = spectrum.magnitudes;
  let worst = 0;
  for (let k = 1; k < m.length; k++) {
    const h = (k * spectrum.binHz) / base;
    if ((Math.abs(h - Math.round(h)) * base) / spectrum.binHz < 8) continue;
    worst = Math.max(worst, m[k] as number);
  }
  return gainToDb(worst / magnitudeNear(spectrum, fundamental, bins));
}
