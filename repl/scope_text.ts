/**
 * A text oscilloscope for `chronus monitor`: a window of samples drawn as a
 * connected trace in braille dots (each character cell holds 2 × 4 dots),
 * triggered on a rising zero crossing so that a steady tone stands still from
 * one refresh to the next.
 *
 * @example
 * ```ts
 * import { scopeText } from "./scope_text.ts";
 * const tone = Float32Array.from({ length: 1024 }, (_, i) => Math.sin((2 * Math.PI * i) / 64));
 * console.log(scopeText(tone, { cols: 32, rows: 4, windowFrames: 128 }).join("\n"));
 * ```
 *
 * @module
 */

/** Character columns of the scope when not told. */
export const SCOPE_COLS = 64;
/** Character rows of the scope when not told. */
export const SCOPE_ROWS = 8;
/** Dots per character cell across and down (braille). */
const DOTS_ACROSS = 2;
const DOTS_DOWN = 4;
/** The blank braille cell; a cell's dots are bits added to it. */
const BRAILLE_BLANK = 0x2800;
/** Bit of each dot in a braille cell, by [dot row][dot column]. */
const BRAILLE_BITS: readonly (readonly number[])[] = [[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [
  0x40,
  0x80,
]];
/** The trigger arms once the signal has gone this far below zero, as a fraction of its peak. */
const TRIGGER_HYSTERESIS = 0.1;
/** Quietest full-scale of the auto-scaled trace (-60 dBFS): quieter signals look smaller. */
const MIN_SCALE = 0.001;

/** Options of {@linkcode scopeText}. */
export interface ScopeTextOptions {
  /** Character columns, 2 dots each; default {@linkcode SCOPE_COLS}. */
  readonly cols?: number;
  /** Character rows, 4 dots each; default {@linkcode SCOPE_ROWS}. */
  readonly rows?: number;
  /**
   * Samples across the width; default half of them (so the trigger has the
   * other half, one period of 1/2 the buffer, to find a crossing in).
   */
  readonly windowFrames?: number;
}

/**
 * Where a window of `windowFrames` samples should start so that the trace
 * begins at a rising zero crossing: the latest crossing that still leaves a
 * whole window, counted only after the signal has gone below a tenth of its
 * negative peak (hysteresis, so noise near zero does not retrigger). Without
 * one (silence, DC, a period longer than the search span), the newest window.
 *
 * @example
 * ```ts
 * import { scopeTrigger } from "./scope_text.ts";
 * console.log(scopeTrigger([0.5, -0.5, -0.2, 0.1, 0.6, 0.2], 2)); // 3
 * ```
 */
export function scopeTrigger(samples: ArrayLike<number>, windowFrames: number): number {
  const last = samples.length - windowFrames;
  if (last <= 0) return 0;
  let peak = 0;
  for (let i = 0; i < samples.length; i++) {
    const a = Math.abs(samples[i] as number);
    if (a > peak) peak = a;
  }
  const arm = -TRIGGER_HYSTERESIS * peak;
  let armed = false;
  let found = last;
  for (let i = 1; i <= last; i++) {
    const x = samples[i] as number;
    if (x < arm) armed = true;
    else if (armed && x >= 0 && (samples[i - 1] as number) < 0) {
      found = i;
      armed = false;
    }
  }
  return found;
}

/** Dot row (0 = top) of value `v` on a trace scaled to ±`scale` over `height` dots. */
function dotRow(v: number, scale: number, height: number): number {
  const row = Math.round(((1 - v / scale) * (height - 1)) / 2);
  return row < 0 ? 0 : row > height - 1 ? height - 1 : Number.isFinite(row) ? row : height >> 1;
}

/** The dots of the trace, `width` × `height`, row-major. */
function traceDots(
  samples: ArrayLike<number>,
  start: number,
  window: number,
  size: { readonly width: number; readonly height: number },
): Uint8Array {
  const { width, height } = size;
  let peak = 0;
  for (let i = start; i < start + window; i++) {
    const a = Math.abs(samples[i] as number);
    if (a > peak) peak = a;
  }
  const scale = Math.max(peak, MIN_SCALE);
  const dots = new Uint8Array(width * height);
  for (let x = 0; x < width; x++) {
    const from = start + Math.floor((x * window) / width);
    const to = Math.max(from + 1, start + Math.floor(((x + 1) * window) / width));
    // Start from the previous column's last sample, so the trace is connected.
    let lo = x > 0 ? samples[from - 1] as number : Infinity;
    let hi = x > 0 ? lo : -Infinity;
    for (let i = from; i < to; i++) {
      const v = samples[i] as number;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const top = dotRow(hi, scale, height);
    const bottom = dotRow(lo, scale, height);
    for (let y = top; y <= bottom; y++) dots[y * width + x] = 1;
  }
  return dots;
}

/**
 * `rows` lines of `cols` braille characters: a window of `samples` (default:
 * the newest half, triggered by {@linkcode scopeTrigger}) as a connected
 * trace, scaled so its peak fills the height (signals under -60 dBFS are
 * drawn smaller), zero in the middle. An empty input draws blank cells.
 */
export function scopeText(samples: ArrayLike<number>, options: ScopeTextOptions = {}): string[] {
  const cols = options.cols ?? SCOPE_COLS;
  const rows = options.rows ?? SCOPE_ROWS;
  if (!Number.isInteger(cols) || cols < 1 || !Number.isInteger(rows) || rows < 1) {
    throw new RangeError(`scope size must be whole cells >= 1, got ${cols} × ${rows}`);
  }
  const width = cols * DOTS_ACROSS;
  const height = rows * DOTS_DOWN;
  const window = Math.min(
    samples.length,
    Math.max(1, Math.floor(options.windowFrames ?? samples.length / 2)),
  );
  const dots = samples.length === 0
    ? new Uint8Array(width * height)
    : traceDots(samples, scopeTrigger(samples, window), window, { width, height });
  const lines: string[] = [];
  for (let row = 0; row < rows; row++) {
    let line = "";
    for (let col = 0; col < cols; col++) {
      let bits = 0;
      for (let dy = 0; dy < DOTS_DOWN; dy++) {
        const bitRow = BRAILLE_BITS[dy] as readonly number[];
        for (let dx = 0; dx < DOTS_ACROSS; dx++) {
          if (dots[(row * DOTS_DOWN + dy) * width + col * DOTS_ACROSS + dx] === 1) {
            bits |= bitRow[dx] as number;
          }
        }
      }
      line += String.fromCharCode(BRAILLE_BLANK + bits);
    }
    lines.push(line);
  }
  return lines;
}
