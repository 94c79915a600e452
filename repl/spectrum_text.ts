/**
 * A text spectrum for `chronus monitor`: log-spaced bars from 30 Hz to
 * 16 kHz, their heights in dBFS (a full-scale sine reads 0 dB), drawn with
 * the eighth-block characters `▁▂▃▄▅▆▇█`. The analysis is one Hann-windowed
 * FFT (npm `fft.js`) of the newest power-of-two samples.
 *
 * @example
 * ```ts
 * import { spectrumAxis, spectrumText } from "./spectrum_text.ts";
 * const tone = Float32Array.from({ length: 1024 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 1000 * i) / 48000));
 * const options = { sampleRate: 48000, cols: 48, rows: 4 };
 * console.log([...spectrumText(tone, options), spectrumAxis(options)].join("\n"));
 * ```
 *
 * @module
 */

import FFT from "fft.js";
import type { Decibels, Hz } from "../dsp/units.ts";

/** The part of fft.js used here, typed (its own typings use `any`). */
interface RealFft {
  realTransform(out: Float64Array, data: Float64Array): void;
}

/** Bars of the spectrum when not told. */
export const SPECTRUM_COLS = 64;
/** Character rows of the spectrum when not told. */
export const SPECTRUM_ROWS = 8;
/** Lowest frequency shown when not told, in Hz. */
export const SPECTRUM_MIN_HZ: Hz = 30;
/** Highest frequency shown when not told, in Hz (less if the Nyquist frequency is lower). */
export const SPECTRUM_MAX_HZ: Hz = 16000;
/** Level at the bottom of the bars when not told, in dBFS (the top is 0 dBFS). */
export const SPECTRUM_FLOOR_DB: Decibels = -80;
/** Largest FFT: more samples than this are not analysed (the newest are). */
const MAX_FFT = 8192;
/** Smallest FFT; with fewer samples every bar is empty. */
const MIN_FFT = 16;
/** Partial cells, one to seven eighths high. */
const EIGHTHS = "▁▂▃▄▅▆▇";
const FULL = "█";

/** Options of {@linkcode spectrumText} and its helpers. */
export interface SpectrumTextOptions {
  /** Sample rate of the samples, in Hz. */
  readonly sampleRate: Hz;
  /** Bars (one character each); default {@linkcode SPECTRUM_COLS}. */
  readonly cols?: number;
  /** Character rows, 8 steps each; default {@linkcode SPECTRUM_ROWS}. */
  readonly rows?: number;
  /** Lower edge of the first bar, in Hz; default {@linkcode SPECTRUM_MIN_HZ}. */
  readonly minHz?: Hz;
  /** Upper edge of the last bar, in Hz; default {@linkcode SPECTRUM_MAX_HZ}, at most half the rate. */
  readonly maxHz?: Hz;
  /** Level of an empty bar, in dBFS; default {@linkcode SPECTRUM_FLOOR_DB}. */
  readonly floorDb?: Decibels;
}

/** Options with defaults applied and checked. */
interface Resolved {
  readonly sampleRate: Hz;
  readonly cols: number;
  readonly rows: number;
  readonly minHz: Hz;
  readonly maxHz: Hz;
  readonly floorDb: Decibels;
}

function resolve(options: SpectrumTextOptions): Resolved {
  const { sampleRate } = options;
  const cols = options.cols ?? SPECTRUM_COLS;
  const rows = options.rows ?? SPECTRUM_ROWS;
  const minHz = options.minHz ?? SPECTRUM_MIN_HZ;
  const maxHz = Math.min(options.maxHz ?? SPECTRUM_MAX_HZ, sampleRate / 2);
  const floorDb = options.floorDb ?? SPECTRUM_FLOOR_DB;
  if (!(sampleRate > 0 && Number.isFinite(sampleRate))) {
    throw new RangeError(`sample rate must be a positive number of Hz, got ${sampleRate}`);
  }
  if (!Number.isInteger(cols) || cols < 1 || !Number.isInteger(rows) || rows < 1) {
    throw new RangeError(`spectrum size must be whole cells >= 1, got ${cols} × ${rows}`);
  }
  if (!(minHz > 0 && maxHz > minHz)) {
    throw new RangeError(
      `spectrum range must be 0 < minHz < maxHz <= half the rate, got ${minHz} to ${maxHz} Hz`,
    );
  }
  if (!(floorDb < 0 && Number.isFinite(floorDb))) {
    throw new RangeError(`spectrum floor must be a negative number of dB, got ${floorDb}`);
  }
  return { sampleRate, cols, rows, minHz, maxHz, floorDb };
}

/** The bar whose range holds `hz` (bar `j` spans `minHz·r^j` up to `minHz·r^(j+1)`); may be out of range. */
function barOf(hz: Hz, o: Resolved): number {
  return Math.floor((o.cols * Math.log(hz / o.minHz)) / Math.log(o.maxHz / o.minHz));
}

/**
 * The `cols + 1` edges of the bars, in Hz: log-spaced from `minHz` to
 * `maxHz`, so bar `j` covers `[edges[j], edges[j + 1])`.
 *
 * @example
 * ```ts
 * import { spectrumBarEdges } from "./spectrum_text.ts";
 * console.log(spectrumBarEdges({ sampleRate: 48000, cols: 2, minHz: 100, maxHz: 10000 }));
 * // Float64Array(3) [ 100, 1000, 10000 ] (to rounding)
 * ```
 */
export function spectrumBarEdges(options: SpectrumTextOptions): Float64Array {
  const o = resolve(options);
  return Float64Array.from(
    { length: o.cols + 1 },
    (_, j) => o.minHz * (o.maxHz / o.minHz) ** (j / o.cols),
  );
}

/** Magnitudes of the newest power-of-two samples in dBFS, bins 0..n/2, and the bin width. */
function binLevels(samples: ArrayLike<number>, sampleRate: Hz): { db: Float64Array; binHz: Hz } {
  let n = MIN_FFT;
  while (n * 2 <= Math.min(samples.length, MAX_FFT)) n *= 2;
  const offset = samples.length - n;
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const hann = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
    data[i] = (samples[offset + i] as number) * hann;
  }
  const spectrum = new Float64Array(2 * n);
  (new FFT(n) as unknown as RealFft).realTransform(spectrum, data);
  // A sine of amplitude a peaks at a·(sum of the window)/2 = a·n/4.
  const db = new Float64Array(n / 2 + 1);
  for (let k = 0; k <= n / 2; k++) {
    const magnitude = Math.hypot(spectrum[2 * k] as number, spectrum[2 * k + 1] as number);
    db[k] = 20 * Math.log10((4 * magnitude) / n + 1e-20);
  }
  return { db, binHz: sampleRate / n };
}

/**
 * The level of each bar in dBFS (a full-scale sine reads 0): the loudest of
 * the FFT bins in its range and of the spectral peaks (found by parabolic
 * interpolation between bins) whose frequency it holds, so a tone counts in
 * the bar of its true frequency; a bar narrower than a bin, holding none,
 * reads the spectrum interpolated at its centre. `-Infinity` for every bar
 * when there are fewer than 16 samples.
 */
export function spectrumBars(
  samples: ArrayLike<number>,
  options: SpectrumTextOptions,
): Float64Array {
  const o = resolve(options);
  const bars = new Float64Array(o.cols).fill(-Infinity);
  if (samples.length < MIN_FFT) return bars;
  const { db, binHz } = binLevels(samples, o.sampleRate);
  const raise = (hz: Hz, level: Decibels): void => {
    const j = barOf(hz, o);
    if (j >= 0 && j < o.cols && level > (bars[j] as number)) bars[j] = level;
  };
  const top = db.length - 1;
  for (let k = 1; k <= top; k++) raise(k * binHz, db[k] as number);
  for (let k = 1; k < top; k++) {
    const a = db[k - 1] as number;
    const b = db[k] as number;
    const c = db[k + 1] as number;
    if (!(b > a && b >= c)) continue;
    const curve = a - 2 * b + c;
    const p = curve < 0 ? (0.5 * (a - c)) / curve : 0;
    raise((k + p) * binHz, b - 0.25 * (a - c) * p);
  }
  const edges = spectrumBarEdges(o);
  for (let j = 0; j < o.cols; j++) {
    if (bars[j] !== -Infinity) continue;
    const at = Math.sqrt((edges[j] as number) * (edges[j + 1] as number)) / binHz;
    const k = Math.min(Math.floor(at), top - 1);
    const t = at - k;
    bars[j] = (db[k] as number) * (1 - t) + (db[k + 1] as number) * t;
  }
  return bars;
}

/**
 * `rows` lines of `cols` characters: the bars of {@linkcode spectrumBars},
 * 0 dBFS at the top, `floorDb` at the bottom, in eighths of a cell.
 */
export function spectrumText(samples: ArrayLike<number>, options: SpectrumTextOptions): string[] {
  const o = resolve(options);
  const bars = spectrumBars(samples, o);
  const steps = o.rows * 8;
  const heights = Array.from(bars, (level) => {
    const h = Math.round(((level - o.floorDb) / -o.floorDb) * steps);
    return h > steps ? steps : h > 0 ? h : 0; // NaN and -Infinity: 0
  });
  const lines: string[] = [];
  for (let row = 0; row < o.rows; row++) {
    const base = (o.rows - 1 - row) * 8; // eighths below this row
    lines.push(
      heights.map((h) => h - base >= 8 ? FULL : h - base > 0 ? EIGHTHS[h - base - 1] : " ").join(
        "",
      ),
    );
  }
  return lines;
}

/**
 * A line of `cols` characters labelling the bars: `100`, `300`, `1k`, `3k`,
 * `10k` under the bar holding each frequency, where they fit.
 */
export function spectrumAxis(options: SpectrumTextOptions): string {
  const o = resolve(options);
  const cells = Array.from({ length: o.cols }, () => " ");
  let free = 0; // first column a label may use
  for (const hz of [100, 300, 1000, 3000, 10000]) {
    const label = hz >= 1000 ? `${hz / 1000}k` : String(hz);
    const at = barOf(hz, o);
    if (hz < o.minHz || hz > o.maxHz || at < free || at + label.length > o.cols) continue;
    for (let i = 0; i < label.length; i++) cells[at + i] = label.charAt(i);
    free = at + label.length + 1;
  }
  return cells.join("");
}
